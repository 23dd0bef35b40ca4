"""JSON Schema inferred from observed values (rollout.traffic.shapes)."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.traffic.shapes import infer, is_nullable, merge, merge_all, without_null


@pytest.mark.parametrize(
    ("value", "schema"),
    [
        pytest.param(None, {"type": "null"}, id="null"),
        pytest.param(True, {"type": "boolean"}, id="bool-is-not-integer"),
        pytest.param(7, {"type": "integer"}, id="integer"),
        pytest.param(7.5, {"type": "number"}, id="number"),
        pytest.param(
            "2026-12-04T18:00:00Z", {"type": "string", "format": "date-time"}, id="date-time"
        ),
        pytest.param(
            "2026-12-04T18:00:00.123+00:00",
            {"type": "string", "format": "date-time"},
            id="date-time-offset",
        ),
        pytest.param("2026-12-04", {"type": "string", "format": "date"}, id="date"),
        pytest.param(
            "0b6c2b8e-0d5e-4a0e-9a57-6f3f3c2f4b11", {"type": "string", "format": "uuid"}, id="uuid"
        ),
        pytest.param("pay_01HXYZ", {"type": "string"}, id="plain-string"),
        pytest.param([], {"type": "array"}, id="empty-array"),
        pytest.param([1, 2.5], {"type": "array", "items": {"type": "number"}}, id="numbers"),
        pytest.param(
            {"b": 1, "a": "x"},
            {
                "type": "object",
                "properties": {"b": {"type": "integer"}, "a": {"type": "string"}},
                "required": ["a", "b"],
            },
            id="object",
        ),
        pytest.param({str(n): n for n in range(300)}, {"type": "object"}, id="map-not-record"),
    ],
)
def test_infer(value: Any, schema: dict[str, Any]) -> None:
    assert infer(value) == schema


@pytest.mark.parametrize(
    ("values", "merged"),
    [
        pytest.param([1, 2], {"type": "integer"}, id="same"),
        pytest.param([1, 2.5], {"type": "number"}, id="integer-widens-to-number"),
        pytest.param([None, "x"], {"anyOf": [{"type": "null"}, {"type": "string"}]}, id="nullable"),
        pytest.param(["2026-01-01", "later"], {"type": "string"}, id="format-dropped"),
        pytest.param(
            [{"a": 1}, {"a": 2, "b": "x"}],
            {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
                "required": ["a"],
            },
            id="key-missing-once-is-optional",
        ),
        pytest.param(
            [[{"a": 1}], [{"a": None}]],
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"a": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
                    "required": ["a"],
                },
            },
            id="nested",
        ),
        pytest.param(
            [1, "x", None, 2],
            {"anyOf": [{"type": "integer"}, {"type": "null"}, {"type": "string"}]},
            id="three-kinds",
        ),
    ],
)
def test_merge(values: list[Any], merged: dict[str, Any]) -> None:
    assert merge_all(infer(v) for v in values) == merged


def test_anything_absorbs_every_shape() -> None:
    assert merge({}, {"type": "integer"}) == {}


def test_nullable_helpers() -> None:
    schema = merge(infer(None), infer("x"))
    assert is_nullable(schema) and without_null(schema) == {"type": "string"}
    assert not is_nullable(infer("x"))

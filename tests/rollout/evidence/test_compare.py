from __future__ import annotations

import json
from typing import Any

import pytest

from rollout.errors import PlanError
from rollout.evidence.compare import CompareRules, Difference, HttpResponse, compare, load_rules

JSON = {"content-type": "application/json"}


def response(body: Any, status: int = 200, headers: dict[str, str] = JSON) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, headers, raw)


@pytest.mark.parametrize(
    ("legacy", "new", "rules", "expected"),
    [
        pytest.param({"a": 1}, {"a": 1}, CompareRules(), [], id="equal"),
        pytest.param(
            {"a": 1}, {"a": 2}, CompareRules(), [Difference("$.a", 1, 2, "value")], id="value"
        ),
        pytest.param(
            {"a": 1, "b": 2},
            {"a": 1, "c": 3},
            CompareRules(),
            [Difference("$.b", 2, None, "missing"), Difference("$.c", None, 3, "extra")],
            id="missing-and-extra",
        ),
        pytest.param(
            {"created_at": "x", "id": 1},
            {"created_at": "y", "id": 1},
            CompareRules(ignore=("$.created_at",)),
            [],
            id="ignored-path",
        ),
        pytest.param(
            {"data": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]},
            {"data": [{"id": 7, "v": "a"}, {"id": 8, "v": "c"}]},
            CompareRules(ignore=("$.data[*].id",)),
            [Difference("$.data[1].v", "b", "c", "value")],
            id="ignored-wildcard-path",
        ),
        pytest.param(
            {"data": [3, 1, 2]},
            {"data": [1, 2, 3]},
            CompareRules(unordered=("$.data",)),
            [],
            id="unordered-list",
        ),
        pytest.param(
            {"data": [3, 1, 2]},
            {"data": [1, 2, 3]},
            CompareRules(),
            [
                Difference("$.data[0]", 3, 1, "value"),
                Difference("$.data[1]", 1, 2, "value"),
                Difference("$.data[2]", 2, 3, "value"),
            ],
            id="ordered-list-by-default",
        ),
        pytest.param(
            {"data": [1]},
            {"data": [1, 2]},
            CompareRules(),
            [Difference("$.data", 1, 2, "length")],
            id="length",
        ),
        pytest.param(
            {"rate": 0.1}, {"rate": 0.1000001}, CompareRules(tolerance=0.001), [], id="tolerance"
        ),
        pytest.param(
            {"n": 1},
            {"n": 1.0},
            CompareRules(),
            [Difference("$.n", 1, 1.0, "type")],
            id="int-vs-float-without-tolerance",
        ),
        pytest.param(
            {"n": True},
            {"n": 1},
            CompareRules(tolerance=1),
            [Difference("$.n", True, 1, "type")],
            id="bool-is-not-a-number",
        ),
    ],
)
def test_json_bodies(legacy, new, rules, expected):
    assert compare(response(legacy), response(new), rules) == expected


def test_status_and_allow_listed_headers_only():
    legacy = HttpResponse(200, {"Content-Type": "text/plain", "Date": "a", "Location": "/x"}, b"")
    new = HttpResponse(201, {"content-type": "text/plain", "date": "b", "location": "/y"}, b"")

    assert compare(legacy, new) == [
        Difference("status", 200, 201, "status"),
        Difference("headers.location", "/x", "/y", "header"),
    ]


def test_non_json_bodies_compare_as_bytes_and_show_only_their_shape():
    text = {"content-type": "text/html"}
    differences = compare(response(b"<p>a</p>", headers=text), response(b"<p>b</p>", headers=text))

    assert [(d.path, d.kind) for d in differences] == [("$", "body")]
    assert "<p>" not in str(differences[0].legacy_value)


def test_a_comparator_failure_is_a_difference_not_an_exception():
    broken = HttpResponse(200, None, b"{}")  # type: ignore[arg-type]

    differences = compare(broken, response({}))

    assert len(differences) == 1
    assert differences[0].kind.startswith("error")


def test_rules_load_from_strangler_toml_tables():
    config = {"compare": {"GET /x": {"ignore": ["$.data[*].id"], "tolerance": 0.5}}}

    rules = load_rules(config)["GET /x"]

    assert rules.ignore == ("$.data[*].id",) and rules.tolerance == 0.5


@pytest.mark.parametrize(
    "table",
    [
        pytest.param({"ignore": ["data.id"]}, id="path-without-dollar"),
        pytest.param({"ignore": ["$.data[x]"]}, id="bad-index"),
        pytest.param({"sort": True}, id="unknown-key"),
    ],
)
def test_bad_rules_are_config_errors(table):
    with pytest.raises(PlanError):
        load_rules({"compare": {"GET /x": table}})

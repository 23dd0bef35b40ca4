"""Case files are validated with messages that name the file and the field."""

from __future__ import annotations

import pytest

from parity_tests.capture import RowChange, net_changes
from parity_tests.cases import parse_case
from parity_tests.errors import CaseFileError

BASE = {"id": "ok", "route": "GET /x", "request": {"method": "GET", "path": "/x"}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"id": "Bad Id"}, "lower-case", id="bad-id"),
        pytest.param({"colour": 1}, "unknown keys", id="unknown-key"),
        pytest.param({"request": None}, "a step is a JSON object", id="request-not-an-object"),
        pytest.param({"accepted": {"paths": ["status"]}}, "reason", id="accepted-without-reason"),
        pytest.param({"compare": {"ignore": ["data"]}}, "must start with", id="bad-path"),
    ],
)
def test_bad_case_files_are_rejected(change, message):
    with pytest.raises(CaseFileError, match=message):
        parse_case({**BASE, **change}, "case.json")


def test_writes_get_a_key_derived_from_the_case_id():
    case = parse_case(
        {"id": "w", "route": "POST /x", "request": {"method": "POST", "path": "/x", "json": {}}},
        "w.json",
    )
    assert case.kind == "write"
    assert case.idempotency_key(0, case.steps[0].request) == "parity-w-0"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        pytest.param(
            [("t", "INSERT", None, {"id": 1}), ("t", "DELETE", {"id": 1}, None)],
            [],
            id="insert-then-delete-is-nothing",
        ),
        pytest.param(
            [("t", "DELETE", {"id": 1, "v": 1}, None), ("t", "INSERT", None, {"id": 1, "v": 2})],
            [RowChange("t", "update", (1,), {"id": 1, "v": 1}, {"id": 1, "v": 2})],
            id="delete-then-insert-is-update",
        ),
        pytest.param(
            [("t", "UPDATE", {"id": 1, "v": 1}, {"id": 1, "v": 1})],
            [],
            id="update-without-change-is-nothing",
        ),
    ],
)
def test_net_changes(log, expected):
    assert net_changes(log, {"t": ("id",)}) == expected

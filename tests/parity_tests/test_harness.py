"""The parity harness end to end on the reference apps: green, isolated, and able to see."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from parity_tests.cases import parse_case
from tests.parity_tests.conftest import row_counts
from tests.parity_tests.planted import (
    Planted,
    body_edit,
    plus_one_cent,
    rename,
    status_to,
    without_header,
)

ACCOUNT = r"/api/v1/accounts/\d+"


def test_reference_suite_is_green_and_nothing_persists(run_parity, reference_cases, parity_db):
    run_parity(reference_cases[:1])  # installs the world and the change capture
    before = row_counts(parity_db)
    results = run_parity(reference_cases)
    assert row_counts(parity_db) == before
    failing = [r.explain() for r in results if r.status not in ("pass", "accepted")]
    assert failing == []
    assert len(results) == len(reference_cases) >= 100
    by_id = {r.case_id: r for r in results}
    deadlock = by_id["transfer-deadlock-retried"]
    assert deadlock.status == "accepted"
    assert "40P01" in deadlock.accepted_reason
    assert {"status", "$.error"} <= {m.path for m in deadlock.mismatches}
    assert [r.case_id for r in results if r.status == "accepted"] == ["transfer-deadlock-retried"]


def test_every_endpoint_and_error_code_has_a_case(reference_cases):
    routes = {case.route for case in reference_cases}
    endpoints = {
        "GET /api/v1/accounts/{account_id}",
        "GET /api/v1/accounts",
        "GET /api/v1/accounts/{account_id}/ledger",
        "GET /api/v1/accounts/{account_id}/summary",
        "GET /api/v1/payments/{payment_id}",
        "GET /api/v1/payments",
        "POST /api/v1/accounts",
        "PATCH /api/v1/accounts/{account_id}",
        "POST /api/v1/payments",
        "POST /api/v1/payments/{payment_id}/refunds",
        "POST /api/v1/transfers",
    }
    assert endpoints <= routes


def _case(case_id: str, reference_cases) -> Any:
    return next(case for case in reference_cases if case.id == case_id)


def _missing_payment_ledger_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import fastapi_app.store.ledger as ledger

    original = ledger.write_entry

    async def skip_payments(conn, database, account_id, amount, kind, ref_id, balance_after):
        if kind != "payment":
            await original(conn, database, account_id, amount, kind, ref_id, balance_after)

    monkeypatch.setattr(ledger, "write_entry", skip_payments)


PLANTED = [
    pytest.param(
        "account-get-own",
        ("GET", ACCOUNT, status_to(202)),
        None,
        "GET /api/v1/accounts/{account_id}",
        "status",
        id="changed-status",
    ),
    pytest.param(
        "account-get-own",
        ("GET", ACCOUNT, body_edit(rename("balance_cents", "balance"))),
        None,
        "GET /api/v1/accounts/{account_id}",
        "$.balance_cents",
        id="renamed-field",
    ),
    pytest.param(
        "payment-create",
        ("POST", "/api/v1/payments", body_edit(plus_one_cent)),
        None,
        "POST /api/v1/payments",
        "$.amount_cents",
        id="off-by-one-cent",
    ),
    pytest.param(
        "payment-create",
        None,
        _missing_payment_ledger_row,
        "POST /api/v1/payments",
        "rows",
        id="missing-ledger-row",
    ),
    pytest.param(
        "account-options",
        ("OPTIONS", ACCOUNT, without_header(b"allow")),
        None,
        "GET /api/v1/accounts/{account_id}",
        "headers.allow",
        id="missing-header",
    ),
]


@pytest.mark.parametrize(("case_id", "plant", "patch", "route", "path"), PLANTED)
def test_planted_divergence_is_caught(
    run_parity, reference_cases, monkeypatch, case_id, plant, patch, route, path
):
    if patch is not None:
        patch(monkeypatch)
    wrap = (lambda app: Planted(app, *plant)) if plant else None
    [result] = run_parity([_case(case_id, reference_cases)], wrap_new=wrap)
    assert result.status == "fail"
    assert result.route == route
    assert any(m.path == path or m.path.startswith(path + "[") for m in result.mismatches), (
        result.explain()
    )


def test_missing_ledger_row_names_the_table(run_parity, reference_cases, monkeypatch):
    _missing_payment_ledger_row(monkeypatch)
    [result] = run_parity([_case("payment-create", reference_cases)])
    assert result.status == "fail"
    tables = {m.legacy_value for m in result.mismatches if m.path.endswith(".table")}
    assert "ledger_entries" in tables or any(m.kind == "length" for m in result.mismatches)


def test_faithful_port_gives_zero_mismatches_on_the_planted_cases(run_parity, reference_cases):
    ids = {"account-get-own", "payment-create", "account-options"}
    results = run_parity([c for c in reference_cases if c.id in ids])
    assert [(r.case_id, r.mismatches) for r in results if r.mismatches] == []


def test_noise_is_learned_from_two_legacy_runs(run_parity):
    # The legacy app answers a random value here; the port does not: noise, not a mismatch.
    case = parse_case(
        {
            "id": "noisy",
            "route": "GET /api/v1/me",
            "request": {"method": "GET", "path": "/api/v1/me", "auth": "alice"},
        },
        "inline",
    )
    import secrets

    from flask import Flask

    original = Flask.process_response

    def add_nonce(self: Flask, response: Any) -> Any:
        response = original(self, response)
        if response.is_json:
            data = response.get_json()
            data["nonce"] = secrets.token_hex(4)
            response.set_data(__import__("json").dumps(data))
        return response

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Flask, "process_response", add_nonce)
        [result] = run_parity([case])
    assert result.noisy == ["$.nonce"]
    assert result.status == "pass"


def test_serialization_failure_retries_the_whole_case(run_parity, parity_db):
    parity_db.execute("DROP SEQUENCE IF EXISTS parity_test_conflict_once")
    parity_db.execute("CREATE SEQUENCE parity_test_conflict_once")
    conflict_once = (
        "DO $$ BEGIN IF nextval('parity_test_conflict_once') = 1 THEN "
        "RAISE EXCEPTION 'planted conflict' USING ERRCODE = '40001'; END IF; END $$"
    )
    case = parse_case(
        {
            "id": "conflict",
            "route": "GET /api/v1/me",
            "setup": [conflict_once],
            "request": {"method": "GET", "path": "/api/v1/me", "auth": "alice"},
        },
        "inline",
    )
    try:
        [result] = run_parity([case], noise=False)
    finally:
        parity_db.execute("DROP SEQUENCE parity_test_conflict_once")
    assert result.status == "pass"
    assert result.attempts == 2


@pytest.mark.parametrize(
    ("plant", "legacy_runs", "status"),
    [
        pytest.param(None, 1, "pass", id="agreeing-case-runs-legacy-once"),
        pytest.param(
            ("GET", ACCOUNT, status_to(202)), 2, "fail", id="differing-case-runs-it-twice"
        ),
    ],
)
def test_second_legacy_run_only_when_the_sides_differ(
    run_parity, reference_cases, monkeypatch, plant, legacy_runs, status
):
    import parity_tests.targets as targets

    calls: list[str] = []
    original = targets.call_wsgi

    def counted(app: Any, request: Any) -> Any:
        calls.append(threading.current_thread().name)
        return original(app, request)

    monkeypatch.setattr(targets, "call_wsgi", counted)
    wrap = (lambda app: Planted(app, *plant)) if plant else None
    [result] = run_parity([_case("account-get-own", reference_cases)], wrap_new=wrap)
    assert result.status == status
    assert len(calls) == legacy_runs
    assert calls[0] == "parity-legacy"  # a read: legacy on its lane, beside the port

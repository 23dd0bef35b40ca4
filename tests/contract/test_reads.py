"""Read endpoints: objects, lists, filters, pagination and cursors."""

from __future__ import annotations

import re

import pytest

from tests.contract.conftest import error_code

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_account_object_has_the_contract_fields(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, currency="USD", balance=1234)
    response = as_owner(owner).get(f"/api/v1/accounts/{account_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {
        "id": account_id,
        "owner": owner.owner,
        "currency": "USD",
        "balance_cents": 1234,
        "status": "active",
        "nickname": None,
        "created_at": body["created_at"],
    }
    assert TIMESTAMP.fullmatch(body["created_at"])


def test_bodies_are_compact_sorted_ascii_json_with_a_newline(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner)
    as_owner(owner).patch(f"/api/v1/accounts/{account_id}", {"nickname": "Café ☕"})
    text = as_owner(owner).get(f"/api/v1/accounts/{account_id}").text
    assert text.startswith('{"balance_cents":0,"created_at":"')
    assert '"nickname":"Caf\\u00e9 \\u2615"' in text
    assert text.endswith("}\n")


def test_account_list_is_newest_first_and_pages_with_cursors(make_owner, make_account, as_owner):
    owner = make_owner()
    ids = [make_account(owner) for _ in range(5)]
    make_account(make_owner())  # another owner's account never shows
    session = as_owner(owner)
    first = session.get("/api/v1/accounts", limit=2).json()
    assert [row["id"] for row in first["data"]] == ids[::-1][:2]
    second = session.get("/api/v1/accounts", limit=2, cursor=first["next_cursor"]).json()
    assert [row["id"] for row in second["data"]] == ids[::-1][2:4]
    last = session.get("/api/v1/accounts", limit=2, cursor=second["next_cursor"]).json()
    assert [row["id"] for row in last["data"]] == ids[:1]
    assert last["next_cursor"] is None


def test_exact_last_page_has_no_cursor(make_owner, make_account, as_owner):
    owner = make_owner()
    for _ in range(2):
        make_account(owner)
    page = as_owner(owner).get("/api/v1/accounts", limit=2).json()
    assert len(page["data"]) == 2
    assert page["next_cursor"] is None


def test_default_limit_is_20(make_owner, make_account, as_owner):
    owner = make_owner()
    for _ in range(21):
        make_account(owner)
    page = as_owner(owner).get("/api/v1/accounts").json()
    assert len(page["data"]) == 20
    assert page["next_cursor"] is not None


def test_account_list_filters_by_status(make_owner, make_account, as_owner):
    owner = make_owner()
    make_account(owner)
    frozen = make_account(owner, status="frozen")
    page = as_owner(owner).get("/api/v1/accounts", status="frozen").json()
    assert [row["id"] for row in page["data"]] == [frozen]


def test_ledger_lists_entries_newest_first_and_filters_by_kind(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, balance=1000)
    session = as_owner(owner)
    payment = session.pay(account_id, 300)
    entries = session.get(f"/api/v1/accounts/{account_id}/ledger").json()["data"]
    assert [(e["kind"], e["amount_cents"], e["balance_after_cents"]) for e in entries] == [
        ("payment", -300, 700),
        ("deposit", 1000, 1000),
    ]
    assert entries[0]["ref_id"] == payment["id"]
    assert entries[1]["ref_id"] is None
    deposits = session.get(f"/api/v1/accounts/{account_id}/ledger", kind="deposit").json()
    assert [e["kind"] for e in deposits["data"]] == ["deposit"]
    page = session.get(f"/api/v1/accounts/{account_id}/ledger", limit=1).json()
    rest = session.get(
        f"/api/v1/accounts/{account_id}/ledger", limit=1, cursor=page["next_cursor"]
    ).json()
    assert rest["data"][0]["kind"] == "deposit"
    assert rest["next_cursor"] is None


def test_summary_adds_up_payments_refunds_and_transfers(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, balance=10_000)
    other = make_account(owner, balance=500)
    session = as_owner(owner)
    kept = session.pay(account_id, 1000)
    partly = session.pay(account_id, 2000)
    fully = session.pay(account_id, 300)
    session.post(f"/api/v1/payments/{partly['id']}/refunds", {"amount_cents": 500})
    session.post(f"/api/v1/payments/{fully['id']}/refunds", {"amount_cents": 300})
    transfer = {"amount_cents": 100, "currency": "EUR"}
    session.post(
        "/api/v1/transfers", {"from_account_id": account_id, "to_account_id": other, **transfer}
    )
    session.post(
        "/api/v1/transfers",
        {"from_account_id": other, "to_account_id": account_id, **{**transfer, "amount_cents": 40}},
    )
    summary = session.get(f"/api/v1/accounts/{account_id}/summary").json()
    assert kept["status"] == "succeeded"
    assert summary == {
        "account_id": account_id,
        "balance_cents": 10_000 - 3300 + 800 - 100 + 40,
        "payments": {
            "succeeded": {"count": 1, "amount_cents": 1000},
            "partially_refunded": {"count": 1, "amount_cents": 2000},
            "refunded": {"count": 1, "amount_cents": 300},
        },
        "refunded_cents": 800,
        "transfers_in_cents": 40,
        "transfers_out_cents": 100,
    }


def test_empty_summary_lists_all_three_statuses(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner)
    summary = as_owner(owner).get(f"/api/v1/accounts/{account_id}/summary").json()
    assert summary["payments"] == {
        status: {"count": 0, "amount_cents": 0}
        for status in ("succeeded", "partially_refunded", "refunded")
    }


def test_payment_object_includes_its_refunds_oldest_first(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, balance=1000)
    session = as_owner(owner)
    payment = session.pay(account_id, 500, description="lunch")
    first = session.post(f"/api/v1/payments/{payment['id']}/refunds", {"amount_cents": 100})
    second = session.post(
        f"/api/v1/payments/{payment['id']}/refunds", {"amount_cents": 50, "reason": "broken"}
    )
    body = session.get(f"/api/v1/payments/{payment['id']}").json()
    assert body["refunds"] == [first.json(), second.json()]
    assert body["refunded_cents"] == 150
    assert body["status"] == "partially_refunded"
    assert body["description"] == "lunch"


def test_payment_list_pages_newest_first_and_filters(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, balance=1000)
    other_account = make_account(owner, balance=1000)
    session = as_owner(owner)
    made = [session.pay(account_id, 10)["id"] for _ in range(3)]
    elsewhere = session.pay(other_account, 10)["id"]
    everything = session.get("/api/v1/payments").json()["data"]
    assert [row["id"] for row in everything] == [elsewhere, *made[::-1]]
    first = session.get("/api/v1/payments", account_id=account_id, limit=2).json()
    assert [row["id"] for row in first["data"]] == made[::-1][:2]
    rest = session.get(
        "/api/v1/payments", account_id=account_id, limit=2, cursor=first["next_cursor"]
    ).json()
    assert [row["id"] for row in rest["data"]] == made[:1]
    assert rest["next_cursor"] is None
    session.post(f"/api/v1/payments/{made[0]}/refunds", {"amount_cents": 10})
    refunded = session.get("/api/v1/payments", status="refunded").json()["data"]
    assert [row["id"] for row in refunded] == [made[0]]


@pytest.mark.parametrize(
    ("path", "params", "field", "message"),
    [
        pytest.param(
            "/api/v1/accounts",
            {"limit": "0"},
            "limit",
            "must be an integer between 1 and 100",
            id="limit-zero",
        ),
        pytest.param(
            "/api/v1/accounts",
            {"limit": "101"},
            "limit",
            "must be an integer between 1 and 100",
            id="limit-too-big",
        ),
        pytest.param(
            "/api/v1/accounts",
            {"limit": "ten"},
            "limit",
            "must be an integer between 1 and 100",
            id="limit-not-a-number",
        ),
        pytest.param(
            "/api/v1/accounts", {"cursor": "%%%"}, "cursor", "invalid cursor", id="cursor-garbage"
        ),
        pytest.param(
            "/api/v1/accounts",
            {"cursor": "WyJ4Il0"},
            "cursor",
            "invalid cursor",
            id="cursor-wrong-key-type",
        ),
        pytest.param(
            "/api/v1/payments",
            {"cursor": "WzFd"},
            "cursor",
            "invalid cursor",
            id="payments-cursor-of-accounts",
        ),
        pytest.param(
            "/api/v1/accounts",
            {"status": "open"},
            "status",
            "must be one of: active, frozen, closed",
            id="accounts-status",
        ),
        pytest.param(
            "/api/v1/payments",
            {"status": "failed"},
            "status",
            "must be one of: succeeded, partially_refunded, refunded",
            id="payments-status",
        ),
        pytest.param(
            "/api/v1/payments",
            {"account_id": "x1"},
            "account_id",
            "must be an integer",
            id="payments-account-id",
        ),
    ],
)
def test_bad_query_parameters_are_400(make_owner, as_owner, path, params, field, message):
    response = as_owner(make_owner()).get(path, **params)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "Request validation failed.",
            "details": {"fields": {field: message}},
        }
    }


def test_bad_ledger_kind_is_400(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner)
    response = as_owner(owner).get(f"/api/v1/accounts/{account_id}/ledger", kind="fee")
    assert response.json()["error"]["details"]["fields"] == {
        "kind": "must be one of: deposit, payment, refund, transfer_in, transfer_out"
    }


def test_every_bad_query_parameter_is_reported_at_once(make_owner, as_owner):
    response = as_owner(make_owner()).get("/api/v1/accounts", limit="0", status="x", cursor="!")
    assert set(response.json()["error"]["details"]["fields"]) == {"limit", "status", "cursor"}


def test_unknown_query_parameters_are_ignored(make_owner, as_owner):
    assert as_owner(make_owner()).get("/api/v1/accounts", colour="blue").status_code == 200


def test_payments_of_an_unknown_account_is_404(make_owner, as_owner):
    response = as_owner(make_owner()).get("/api/v1/payments", account_id="99999999999999999999")
    assert error_code(response) == "not_found"


def test_probes(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

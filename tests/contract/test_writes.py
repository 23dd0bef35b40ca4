"""Write endpoints: success paths, the money they move, and every business error."""

from __future__ import annotations

import re

import pytest

from tests.conftest import assert_money_invariants
from tests.contract.conftest import error_code

ID = {
    "pay": re.compile(r"pay_[0-9a-f]{24}"),
    "re": re.compile(r"re_[0-9a-f]{24}"),
    "tr": re.compile(r"tr_[0-9a-f]{24}"),
}


def test_create_account_with_a_deposit_writes_a_ledger_entry(db, make_owner, as_owner):
    owner = make_owner()
    response = as_owner(owner).post(
        "/api/v1/accounts",
        {"currency": "GBP", "nickname": "Savings", "initial_deposit_cents": 2500},
    )
    assert response.status_code == 201
    body = response.json()
    assert (
        body["owner"],
        body["currency"],
        body["balance_cents"],
        body["status"],
        body["nickname"],
    ) == (owner.owner, "GBP", 2500, "active", "Savings")
    assert db.all("SELECT kind, amount_cents, ref_id FROM ledger_entries") == [
        ("deposit", 2500, None)
    ]


def test_create_account_without_a_deposit_has_no_ledger_entry(db, make_owner, as_owner):
    response = as_owner(make_owner()).post("/api/v1/accounts", {"currency": "EUR"})
    assert (response.status_code, response.json()["balance_cents"]) == (201, 0)
    assert db.scalar("SELECT count(*) FROM ledger_entries") == 0


def test_patch_changes_nickname_and_status(make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner)
    session = as_owner(owner)
    response = session.patch(
        f"/api/v1/accounts/{account_id}", {"nickname": "Main", "status": "frozen"}
    )
    assert response.status_code == 200
    assert (response.json()["nickname"], response.json()["status"]) == ("Main", "frozen")
    cleared = session.patch(
        f"/api/v1/accounts/{account_id}", {"nickname": None, "status": "active"}
    )
    assert (cleared.json()["nickname"], cleared.json()["status"]) == (None, "active")


def test_payment_debits_and_writes_one_ledger_entry(db, make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, balance=1000)
    payment = as_owner(owner).pay(account_id, 250, merchant="Café Lumière ☕")
    assert ID["pay"].fullmatch(payment["id"])
    assert (
        payment["status"],
        payment["refunded_cents"],
        payment["refunds"],
        payment["merchant"],
    ) == ("succeeded", 0, [], "Café Lumière ☕")
    assert db.scalar("SELECT balance_cents FROM accounts WHERE id = %s", (account_id,)) == 750
    assert db.all(
        "SELECT kind, amount_cents, ref_id, balance_after_cents FROM ledger_entries "
        "WHERE kind = 'payment'"
    ) == [("payment", -250, payment["id"], 750)]


def test_refunds_make_a_payment_partially_then_fully_refunded(
    db, make_owner, make_account, as_owner
):
    owner = make_owner()
    account_id = make_account(owner, balance=1000)
    session = as_owner(owner)
    payment = session.pay(account_id, 400)
    first = session.post(
        f"/api/v1/payments/{payment['id']}/refunds", {"amount_cents": 100, "reason": "late"}
    )
    assert first.status_code == 201
    assert ID["re"].fullmatch(first.json()["id"])
    assert first.json()["payment_id"] == payment["id"]
    assert session.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "partially_refunded"
    session.post(f"/api/v1/payments/{payment['id']}/refunds", {"amount_cents": 300})
    assert session.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "refunded"
    assert db.scalar("SELECT balance_cents FROM accounts") == 1000
    assert_money_invariants(db)


def test_transfer_writes_out_then_in(db, make_owner, make_account, as_owner):
    owner = make_owner()
    source, target = make_account(owner, balance=500), make_account(owner)
    response = as_owner(owner).post(
        "/api/v1/transfers",
        {
            "from_account_id": source,
            "to_account_id": target,
            "amount_cents": 200,
            "currency": "EUR",
        },
    )
    assert response.status_code == 201
    transfer = response.json()
    assert ID["tr"].fullmatch(transfer["id"])
    assert db.all(
        "SELECT account_id, kind, amount_cents, balance_after_cents FROM "
        "ledger_entries WHERE ref_id = %s ORDER BY id",
        (transfer["id"],),
    ) == [(source, "transfer_out", -200, 300), (target, "transfer_in", 200, 200)]
    assert_money_invariants(db)


@pytest.fixture
def world(make_owner, make_account, as_owner):
    """An owner with accounts in every state, another owner, and a payment to refund."""
    me, stranger = make_owner(), make_owner()
    accounts = {
        "eur": make_account(me, balance=1000),
        "eur2": make_account(me, balance=10),
        "usd": make_account(me, currency="USD", balance=1000),
        "frozen": make_account(me, balance=1000, status="frozen"),
        "closed": make_account(me, balance=1000, status="closed"),
        "theirs": make_account(stranger, balance=1000),
    }
    session = as_owner(me)
    payment = session.pay(accounts["eur"], 100)["id"]
    their_payment = as_owner(stranger).pay(accounts["theirs"], 100)["id"]
    return {
        "session": session,
        "accounts": accounts,
        "payment": payment,
        "their_payment": their_payment,
    }


def _pay(account: str, amount: int = 50, currency: str = "EUR"):
    return lambda w: (
        "POST",
        "/api/v1/payments",
        {
            "account_id": w["accounts"].get(account, 987654),
            "amount_cents": amount,
            "currency": currency,
            "merchant": "m",
        },
    )


def _transfer(source: str, target: str, amount: int = 5, currency: str = "EUR"):
    return lambda w: (
        "POST",
        "/api/v1/transfers",
        {
            "from_account_id": w["accounts"].get(source, 987654),
            "to_account_id": w["accounts"].get(target, 987655),
            "amount_cents": amount,
            "currency": currency,
        },
    )


def _refund(payment: str, amount: int = 10):
    return lambda w: (
        "POST",
        f"/api/v1/payments/{w.get(payment, payment)}/refunds",
        {"amount_cents": amount},
    )


def _patch(account: str, body):
    return lambda w: ("PATCH", f"/api/v1/accounts/{w['accounts'].get(account, 987654)}", body)


@pytest.mark.parametrize(
    ("request_of", "status", "code"),
    [
        pytest.param(_pay("missing"), 404, "not_found", id="payment-unknown-account"),
        pytest.param(_pay("theirs"), 403, "forbidden", id="payment-other-owner"),
        pytest.param(_pay("frozen"), 409, "account_not_active", id="payment-frozen"),
        pytest.param(_pay("closed"), 409, "account_not_active", id="payment-closed"),
        pytest.param(_pay("eur", currency="USD"), 422, "currency_mismatch", id="payment-currency"),
        pytest.param(_pay("eur", amount=5000), 422, "insufficient_funds", id="payment-funds"),
        pytest.param(
            _pay("frozen", currency="USD", amount=5000),
            409,
            "account_not_active",
            id="payment-not-active-before-currency",
        ),
        pytest.param(
            _pay("eur", currency="USD", amount=5000),
            422,
            "currency_mismatch",
            id="payment-currency-before-funds",
        ),
        pytest.param(_refund("pay_" + "0" * 24), 404, "not_found", id="refund-unknown"),
        pytest.param(_refund("pay_nope"), 404, "not_found", id="refund-malformed-id"),
        pytest.param(_refund("their_payment"), 403, "forbidden", id="refund-other-owner"),
        pytest.param(
            _refund("payment", amount=101), 422, "refund_exceeds_payment", id="refund-exceeds"
        ),
        pytest.param(_transfer("missing", "eur"), 404, "not_found", id="transfer-from-404"),
        pytest.param(_transfer("eur", "missing"), 404, "not_found", id="transfer-to-404"),
        pytest.param(
            _transfer("theirs", "missing"), 404, "not_found", id="transfer-404-before-403"
        ),
        pytest.param(_transfer("theirs", "eur"), 403, "forbidden", id="transfer-from-403"),
        pytest.param(_transfer("eur", "theirs"), 403, "forbidden", id="transfer-to-403"),
        pytest.param(
            _transfer("frozen", "eur"), 409, "account_not_active", id="transfer-from-frozen"
        ),
        pytest.param(
            _transfer("eur", "closed"), 409, "account_not_active", id="transfer-to-closed"
        ),
        pytest.param(_transfer("eur", "usd"), 422, "currency_mismatch", id="transfer-to-currency"),
        pytest.param(
            _transfer("usd", "eur", currency="USD"),
            422,
            "currency_mismatch",
            id="transfer-from-currency",
        ),
        pytest.param(
            _transfer("eur2", "eur", amount=11), 422, "insufficient_funds", id="transfer-funds"
        ),
        pytest.param(_patch("missing", {"nickname": "x"}), 404, "not_found", id="patch-404"),
        pytest.param(_patch("theirs", {"nickname": "x"}), 403, "forbidden", id="patch-403"),
        pytest.param(
            _patch("closed", {"status": "active"}), 409, "account_not_active", id="patch-closed"
        ),
    ],
)
def test_business_errors_change_nothing(db, world, request_of, status, code):
    before = db.all("SELECT id, balance_cents, status, nickname FROM accounts ORDER BY id")
    ledger = db.scalar("SELECT count(*) FROM ledger_entries")
    method, path, body = request_of(world)
    response = world["session"].write(method, path, body)
    assert (response.status_code, error_code(response)) == (status, code)
    assert response.headers["content-type"] == "application/json"
    assert db.all("SELECT id, balance_cents, status, nickname FROM accounts ORDER BY id") == before
    assert db.scalar("SELECT count(*) FROM ledger_entries") == ledger
    assert_money_invariants(db)


def test_frozen_account_can_be_reactivated(world):
    response = world["session"].patch(
        f"/api/v1/accounts/{world['accounts']['frozen']}", {"status": "active"}
    )
    assert (response.status_code, response.json()["status"]) == (200, "active")


def test_refund_on_a_frozen_account_is_409(db, make_owner, make_account, as_owner):
    owner = make_owner()
    account_id = make_account(owner, balance=100)
    session = as_owner(owner)
    payment = session.pay(account_id, 50)
    db.execute("UPDATE accounts SET status = 'frozen' WHERE id = %s", (account_id,))
    response = session.post(f"/api/v1/payments/{payment['id']}/refunds", {"amount_cents": 5})
    assert (response.status_code, error_code(response)) == (409, "account_not_active")

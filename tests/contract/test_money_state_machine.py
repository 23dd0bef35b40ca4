"""A random walk of payments, refunds, transfers and new accounts against a model of the money.

After every step the API's balances must equal the model's, and the database must keep
the contract's invariants (balance == sum of ledger, never negative).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import assert_money_invariants
from tests.contract.conftest import Session

CURRENCIES = st.sampled_from(["EUR", "USD"])
AMOUNTS = st.integers(min_value=1, max_value=3000)


def make_machine(session: Session, db):
    class Money(RuleBasedStateMachine):
        accounts = Bundle("accounts")
        payments = Bundle("payments")

        def __init__(self) -> None:
            super().__init__()
            self.balances: dict[int, int] = {}
            self.currencies: dict[int, str] = {}
            self.refundable: dict[str, int] = {}

        @rule(target=accounts, currency=CURRENCIES, deposit=st.integers(0, 10_000))
        def open_account(self, currency, deposit):
            response = session.post(
                "/api/v1/accounts", {"currency": currency, "initial_deposit_cents": deposit}
            )
            assert response.status_code == 201, response.text
            account_id = response.json()["id"]
            self.balances[account_id], self.currencies[account_id] = deposit, currency
            return account_id

        @rule(target=payments, account_id=accounts, amount=AMOUNTS, currency=CURRENCIES)
        def pay(self, account_id, amount, currency):
            response = session.post(
                "/api/v1/payments",
                {
                    "account_id": account_id,
                    "amount_cents": amount,
                    "currency": currency,
                    "merchant": "Nordic Rail",
                },
            )
            if currency != self.currencies[account_id]:
                assert response.status_code == 422, response.text
                return None
            if amount > self.balances[account_id]:
                assert response.json()["error"]["code"] == "insufficient_funds"
                return None
            assert response.status_code == 201, response.text
            self.balances[account_id] -= amount
            payment = response.json()
            self.refundable[payment["id"]] = amount
            return (payment["id"], account_id)

        @rule(payment=consumes(payments), amount=AMOUNTS)
        def refund(self, payment, amount):
            if payment is None:
                return
            payment_id, account_id = payment
            response = session.post(
                f"/api/v1/payments/{payment_id}/refunds", {"amount_cents": amount}
            )
            if amount > self.refundable[payment_id]:
                assert response.json()["error"]["code"] == "refund_exceeds_payment"
                return
            assert response.status_code == 201, response.text
            self.refundable[payment_id] -= amount
            self.balances[account_id] += amount

        @rule(source=accounts, to=accounts, amount=AMOUNTS)
        def transfer(self, source, to, amount):
            currency = self.currencies[source]
            response = session.post(
                "/api/v1/transfers",
                {
                    "from_account_id": source,
                    "to_account_id": to,
                    "amount_cents": amount,
                    "currency": currency,
                },
            )
            if source == to:
                assert response.status_code == 400
            elif self.currencies[to] != currency:
                assert response.json()["error"]["code"] == "currency_mismatch"
            elif amount > self.balances[source]:
                assert response.json()["error"]["code"] == "insufficient_funds"
            else:
                assert response.status_code == 201, response.text
                self.balances[source] -= amount
                self.balances[to] += amount

        @invariant()
        def balances_match_the_model(self):
            for account_id, balance in self.balances.items():
                got = session.get(f"/api/v1/accounts/{account_id}").json()["balance_cents"]
                assert got == balance
            assert_money_invariants(db)

    return Money


def test_random_money_movements_keep_the_invariants(db, make_owner, as_owner):
    machine = make_machine(as_owner(make_owner()), db)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

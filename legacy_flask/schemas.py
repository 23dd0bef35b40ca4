"""The request body schemas of every write endpoint and of ``POST /login``.

Example:
    >>> from legacy_flask.validation import validate_body
    >>> validate_body(b'{"amount_cents": 10}', CREATE_REFUND)
    {'amount_cents': 10}
"""

from __future__ import annotations

from typing import Any

from legacy_flask.validation import (
    MAX_AMOUNT,
    Field,
    account_ref,
    amount,
    any_text,
    at_most,
    currency,
    integer_between,
    length_between,
    one_of,
)

CREATE_ACCOUNT = (
    Field("currency", currency()),
    Field("nickname", at_most(100), required=False, nullable=True),
    Field("initial_deposit_cents", integer_between(0, MAX_AMOUNT), required=False),
)

UPDATE_ACCOUNT = (
    Field("nickname", at_most(100), required=False, nullable=True),
    Field("status", one_of("active", "frozen"), required=False),
)

CREATE_PAYMENT = (
    Field("account_id", account_ref()),
    Field("amount_cents", amount()),
    Field("currency", currency()),
    Field("merchant", length_between(1, 255, "must be 1 to 255 characters")),
    Field("description", at_most(1000), required=False, nullable=True),
)

CREATE_REFUND = (
    Field("amount_cents", amount()),
    Field("reason", at_most(1000), required=False, nullable=True),
)

CREATE_TRANSFER = (
    Field("from_account_id", account_ref()),
    Field("to_account_id", account_ref()),
    Field("amount_cents", amount()),
    Field("currency", currency()),
)

LOGIN = (
    Field("username", any_text()),
    Field("password", any_text()),
)


def distinct_accounts(body: dict[str, Any]) -> dict[str, str]:
    if body["from_account_id"] == body["to_account_id"]:
        return {"to_account_id": "must differ from from_account_id"}
    return {}

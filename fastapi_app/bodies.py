"""The request bodies of the contract, as validation specs (also rendered into OpenAPI).

Example:
    >>> [field.name for field in CREATE_TRANSFER]
    ['from_account_id', 'to_account_id', 'amount_cents', 'currency']
"""

from __future__ import annotations

from typing import Any

from fastapi_app.validation import BodySpec, FieldSpec

MAX_CENTS = 1_000_000_000_000
BIGINT_MAX = 9223372036854775807
CURRENCY = FieldSpec(
    "currency", "string", pattern="[A-Z]{3}", message="must be a 3-letter ISO 4217 code"
)
AMOUNT = FieldSpec(
    "amount_cents",
    "integer",
    minimum=1,
    maximum=MAX_CENTS,
    message=f"must be between 1 and {MAX_CENTS}",
)


def _account_ref(name: str) -> FieldSpec:
    return FieldSpec(
        name,
        "integer",
        minimum=1,
        maximum=BIGINT_MAX,
        message=f"must be between 1 and {BIGINT_MAX}",
    )


def _optional_text(name: str, limit: int) -> FieldSpec:
    return FieldSpec(
        name,
        "string",
        required=False,
        nullable=True,
        max_length=limit,
        message=f"must be at most {limit} characters",
    )


CREATE_ACCOUNT: BodySpec = (
    CURRENCY,
    _optional_text("nickname", 100),
    FieldSpec(
        "initial_deposit_cents",
        "integer",
        required=False,
        minimum=0,
        maximum=MAX_CENTS,
        message=f"must be between 0 and {MAX_CENTS}",
    ),
)
UPDATE_ACCOUNT: BodySpec = (
    _optional_text("nickname", 100),
    FieldSpec(
        "status",
        "string",
        required=False,
        choices=("active", "frozen"),
        message="must be one of: active, frozen",
    ),
)
CREATE_PAYMENT: BodySpec = (
    _account_ref("account_id"),
    AMOUNT,
    CURRENCY,
    FieldSpec(
        "merchant", "string", min_length=1, max_length=255, message="must be 1 to 255 characters"
    ),
    _optional_text("description", 1000),
)
CREATE_REFUND: BodySpec = (AMOUNT, _optional_text("reason", 1000))
CREATE_TRANSFER: BodySpec = (
    _account_ref("from_account_id"),
    _account_ref("to_account_id"),
    AMOUNT,
    CURRENCY,
)
LOGIN: BodySpec = (FieldSpec("username", "string"), FieldSpec("password", "string"))


def distinct_accounts(body: dict[str, Any], errors: dict[str, str]) -> None:
    """Transfers: the two accounts must differ (checked once every field is valid)."""
    if body["from_account_id"] == body["to_account_id"]:
        errors["to_account_id"] = "must differ from from_account_id"

"""What the OpenAPI document says about each route: bodies, query parameters, answers.

Validation is done by the port itself (to give the contract's 400 with exact messages),
so FastAPI never sees typed parameters; these helpers describe them instead, from the
same specs the validator uses.

Example:
    >>> sorted(error_responses(401, 404))
    [401, 404, 500]
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from fastapi_app.validation import BodySpec, body_json_schema


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Resource not found."])
    details: dict[str, Any] = Field(
        description='`{}`, or `{"fields": {name: message}}` for invalid_request'
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


class Account(BaseModel):
    id: int
    owner: str
    currency: str
    balance_cents: int
    status: Literal["active", "frozen", "closed"]
    nickname: str | None
    created_at: str


class Refund(BaseModel):
    id: str
    payment_id: str
    amount_cents: int
    reason: str | None
    created_at: str


class Payment(BaseModel):
    id: str
    account_id: int
    amount_cents: int
    currency: str
    merchant: str
    description: str | None
    status: Literal["succeeded", "partially_refunded", "refunded"]
    refunded_cents: int
    created_at: str
    refunds: list[Refund]


class Transfer(BaseModel):
    id: str
    from_account_id: int
    to_account_id: int
    amount_cents: int
    currency: str
    created_at: str


class LedgerEntry(BaseModel):
    id: int
    account_id: int
    amount_cents: int
    kind: Literal["deposit", "payment", "refund", "transfer_in", "transfer_out"]
    ref_id: str | None
    balance_after_cents: int
    created_at: str


class StatusTotals(BaseModel):
    count: int
    amount_cents: int


class Summary(BaseModel):
    account_id: int
    balance_cents: int
    payments: dict[Literal["succeeded", "partially_refunded", "refunded"], StatusTotals]
    refunded_cents: int
    transfers_in_cents: int
    transfers_out_cents: int


class AccountPage(BaseModel):
    data: list[Account]
    next_cursor: str | None


class PaymentPage(BaseModel):
    data: list[Payment]
    next_cursor: str | None


class LedgerPage(BaseModel):
    data: list[LedgerEntry]
    next_cursor: str | None


class Me(BaseModel):
    owner: str
    auth: Literal["api_key", "session"]


ERROR_CODES: dict[int, str] = {
    400: "invalid_request, idempotency_key_missing",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "idempotency_key_in_use, account_not_active",
    413: "request_too_large",
    422: "idempotency_key_reused, insufficient_funds, currency_mismatch, refund_exceeds_payment",
    500: "internal_error",
    503: "service_unavailable (conflicts outlasted the retries; see Retry-After)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorBody, "description": f"Error: {ERROR_CODES[status]}"}
        for status in (*statuses, 500)
    }


READ_ERRORS = (400, 401, 403, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422, 503)


def json_body(spec: BodySpec) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body_json_schema(spec)}},
        }
    }


def idempotency_header() -> dict[str, Any]:
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    }


def write_extra(spec: BodySpec) -> dict[str, Any]:
    return {**json_body(spec), "parameters": [idempotency_header()]}


def query_parameter(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


LIMIT = query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})
CURSOR = query_parameter("cursor", {"type": "string"})


def enum_parameter(name: str, choices: tuple[str, ...]) -> dict[str, Any]:
    return query_parameter(name, {"type": "string", "enum": list(choices)})


def list_extra(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": [*parameters, LIMIT, CURSOR]}

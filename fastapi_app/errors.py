"""The port's exceptions, one tree for the whole package.

    FastapiAppError
    ├── ConfigError            bad environment; entry points print one line and exit 2
    ├── RetriesExhausted       40001/40P01 kept coming back; answered as 503
    └── ApiError               an answer in the contract's error shape (status, code, message)
        ├── InvalidRequest            400 invalid_request, details.fields
        ├── IdempotencyKeyMissing     400
        ├── Unauthenticated           401
        ├── Forbidden                 403
        ├── NotFound                  404
        ├── MethodNotAllowed          405 (+ Allow)
        ├── IdempotencyKeyInUse       409
        ├── AccountNotActive          409
        ├── RequestTooLarge           413
        ├── IdempotencyKeyReused      422
        ├── InsufficientFunds         422
        ├── CurrencyMismatch          422
        ├── RefundExceedsPayment      422
        ├── InternalError             500
        └── ServiceUnavailable        503 (+ Retry-After)

Example:
    >>> NotFound().payload()
    {'error': {'code': 'not_found', 'message': 'Resource not found.', 'details': {}}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar


class FastapiAppError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(FastapiAppError):
    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable
        self.message = message


class RetriesExhausted(FastapiAppError):
    def __init__(self, attempts: int) -> None:
        super().__init__(f"transaction still conflicting after {attempts} attempts")
        self.attempts = attempts


class ApiError(FastapiAppError):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    message: ClassVar[str] = "Internal server error."

    def __init__(self, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(self.code)
        self.details: dict[str, Any] = dict(details or {})

    def payload(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(ApiError):
    status, code, message = 400, "invalid_request", "Request validation failed."

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__({"fields": dict(fields)})


class IdempotencyKeyMissing(ApiError):
    status, code, message = 400, "idempotency_key_missing", "Idempotency-Key header is required."


class Unauthenticated(ApiError):
    status, code, message = 401, "unauthenticated", "Missing or invalid credentials."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "This resource belongs to another owner."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "Resource not found."


class MethodNotAllowed(ApiError):
    status, code, message = 405, "method_not_allowed", "Method not allowed."

    def __init__(self, allowed: Iterable[str]) -> None:
        super().__init__()
        self.allowed = sorted({method.upper() for method in allowed})

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class IdempotencyKeyInUse(ApiError):
    status, code = 409, "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still being processed."


class AccountNotActive(ApiError):
    status, code, message = 409, "account_not_active", "Account is not active."


class RequestTooLarge(ApiError):
    status, code, message = 413, "request_too_large", "Request body too large."


class IdempotencyKeyReused(ApiError):
    status, code = 422, "idempotency_key_reused"
    message = "Idempotency-Key was already used with a different request."


class InsufficientFunds(ApiError):
    status, code, message = 422, "insufficient_funds", "Insufficient funds."


class CurrencyMismatch(ApiError):
    status, code, message = (
        422,
        "currency_mismatch",
        "Currency does not match the account currency.",
    )


class RefundExceedsPayment(ApiError):
    status, code, message = 422, "refund_exceeds_payment", "Refund exceeds the refundable amount."


class InternalError(ApiError):
    pass


class ServiceUnavailable(ApiError):
    """Not in the contract's table: the port's answer when conflicts outlast the retries."""

    status, code = 503, "service_unavailable"
    message = "The service is busy; retry later."

    def __init__(self, retry_after_seconds: int = 1) -> None:
        super().__init__()
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}

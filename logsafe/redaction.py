"""What counts as a credential in a log event, and the processor that removes it."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "set_cookie",
        "idempotency-key",
        "idempotency_key",
        "api_key",
        "x-api-key",
        "password",
        "secret_key",
        "body",
    }
)
REDACTED = "[redacted]"
_API_KEY = re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9_]+")
_CREDENTIAL_HEADER = re.compile(
    r"(?i)\b(authorization|cookie|set-cookie|idempotency-key)(['\"]?\s*[:=]\s*)[^\r\n,;}]+"
)
_HEADER_WORDS = ("authorization", "cookie", "idempotency-key")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: credential keys and credential-looking text become ``[redacted]``.

    >>> redact(None, "info", {"idempotency_key": "k1", "path": "/api/v1/accounts/1"})
    {'idempotency_key': '[redacted]', 'path': '/api/v1/accounts/1'}
    """
    for key, value in list(event.items()):
        if key.lower() in SENSITIVE_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def redact_text(value: str) -> str:
    """``value`` with API keys, bearer tokens and credential headers blanked.

    >>> redact_text("headers: Idempotency-Key: key_1")
    'headers: Idempotency-Key: [redacted]'
    """
    # The access line runs this twice a request: plain substring checks let the common
    # case (a path, a request id) skip every regex.
    lowered = value.lower()
    if "sk_" in value:
        value = _API_KEY.sub(REDACTED, value)
    if any(word in lowered for word in _HEADER_WORDS):
        value = _CREDENTIAL_HEADER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", value)
    if "bearer" in lowered or "basic" in lowered:
        value = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", value)
    return value

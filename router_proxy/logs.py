"""Logging for the shim: one access event per request, and a structlog processor that
redacts credentials wherever they turn up (A19).

The router never hands a header value, a body or a query string to a log call; the
processor is the second belt: any key that names a credential, and any ``Bearer ...``
text, is replaced before rendering.

Example:
    >>> redact(None, "info", {"authorization": "Bearer abc", "msg": "token Bearer xyz"})
    {'authorization': '[redacted]', 'msg': 'token Bearer [redacted]'}
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

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
    }
)
REDACTED = "[redacted]"
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")

access_log = structlog.get_logger("router_proxy.access")


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key.lower() in SENSITIVE_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str) and _BEARER.search(value):
            event[key] = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", value)
    return event


def configure(level: int = logging.INFO) -> None:
    """What ``strangler serve`` uses: JSON lines, redaction last before rendering."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Without this every log call re-binds a logger: ~15% of the access log's cost.
        cache_logger_on_first_use=True,
    )

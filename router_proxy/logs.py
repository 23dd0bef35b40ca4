"""Logging for the shim: one access event per request (request id, route key, backend,
mode, status, duration), and a structlog processor that redacts credentials wherever they
turn up (A19).

structlog hands every event to stdlib logging (never to stdout): importing this module
routes structlog there once, unless the application configured structlog itself; a
process that runs the router (``strangler serve``) calls ``configure()`` to get one JSON
line per event on stderr, stdlib records of other libraries included.

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
import sys
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
_API_KEY = re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9]+")

access_log = structlog.get_logger("router_proxy.access")


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key.lower() in SENSITIVE_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = _redact_text(value)
    return event


def _redact_text(value: str) -> str:
    if "sk_" in value:
        value = _API_KEY.sub(REDACTED, value)
    if _BEARER.search(value):
        value = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", value)
    return value


_SHARED: list[Any] = [
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def route_to_stdlib(level: int = logging.INFO) -> None:
    """structlog events become stdlib records (rendered by the handler ``configure`` sets)."""
    structlog.configure(
        processors=[*_SHARED, redact, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Without this every log call re-binds a logger: ~15% of the access log's cost.
        cache_logger_on_first_use=True,
    )


def json_formatter() -> logging.Formatter:
    """One JSON line per record, structlog's and plain stdlib ones alike, redacted."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact,
            structlog.processors.JSONRenderer(),
        ],
    )


def configure(level: int = logging.INFO) -> None:
    """What ``strangler serve`` uses: JSON lines on stderr, redaction before rendering."""
    route_to_stdlib(level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


if not structlog.is_configured():
    route_to_stdlib()

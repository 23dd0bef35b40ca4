"""The port's logging: JSON lines on stderr through stdlib logging, credentials redacted,
exceptions as plain tracebacks (never with local variables), A19.

Unconfigured, structlog renders exceptions with rich tracebacks that print every frame's
locals: request bodies, headers and Idempotency-Keys. Worse, rendering them takes hundreds
of milliseconds on the event loop, so a burst of errors stalls every request of the
worker, ``/healthz`` included. ``configure_logging()`` (called by ``create_app``, safe to
call again) therefore:

* configures structlog when nobody has: redaction, ``format_exc_info`` and stdlib output;
* when the host process configured structlog itself, only inserts redaction and the plain
  exception formatter before its renderer, and leaves the rest of its setup alone;
* gives the root logger one JSON-lines stderr handler if it has no handler at all.

Example:
    >>> redact(None, "info", {"idempotency_key": "k1", "event": "key sk_test_abc123"})
    {'idempotency_key': '[redacted]', 'event': 'key [redacted]'}
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
        "body",
    }
)
REDACTED = "[redacted]"
_API_KEY = re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9_]+")
_CREDENTIAL_HEADER = re.compile(
    r"(?i)\b(authorization|cookie|set-cookie|idempotency-key)(\s*[:=]\s*)[^\r\n,;}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
LOGGER_NAME = "fastapi_app"


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: credential keys and credential-looking text become ``[redacted]``."""
    for key, value in list(event.items()):
        if key.lower() in SENSITIVE_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def redact_text(value: str) -> str:
    if "sk_" in value:
        value = _API_KEY.sub(REDACTED, value)
    value = _CREDENTIAL_HEADER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", value)
    return _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", value)


# format_exc_info before redact: the traceback text is redacted too
_SAFE_STEPS: list[Any] = [structlog.processors.format_exc_info, redact]
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: int = logging.INFO) -> None:
    """Make the port's logs safe and JSON; idempotent, see the module docstring."""
    if structlog.is_configured():
        _make_host_chain_safe()
    else:
        structlog.configure(
            processors=[
                *_SHARED,
                *_SAFE_STEPS,
                structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.make_filtering_bound_logger(level),
            cache_logger_on_first_use=True,
        )
    _ensure_stderr_handler(level)


def _make_host_chain_safe() -> None:
    processors = list(structlog.get_config()["processors"])
    if redact in processors:
        return
    # the last processor renders (or hands over to stdlib): ours run just before it
    structlog.configure(processors=[*processors[:-1], *_SAFE_STEPS, *processors[-1:]])


def json_lines_formatter() -> logging.Formatter:
    """One redacted JSON line per record, structlog's and plain stdlib ones alike."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_SAFE_STEPS,
            structlog.processors.JSONRenderer(),
        ],
    )


def _ensure_stderr_handler(level: int) -> None:
    port_logger = logging.getLogger(LOGGER_NAME)
    if port_logger.level == logging.NOTSET:
        port_logger.setLevel(level)
    root = logging.getLogger()
    if root.handlers:  # the host (uvicorn --log-config, gunicorn, pytest) decides where
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_lines_formatter())
    root.addHandler(handler)

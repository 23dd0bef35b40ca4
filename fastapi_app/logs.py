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

The redaction and the formatter are ``logsafe``'s, the same the router writes with.

Example:
    >>> redact(None, "info", {"idempotency_key": "k1", "event": "key sk_test_abc123"})
    {'idempotency_key': '[redacted]', 'event': 'key [redacted]'}
"""

from __future__ import annotations

import logging
import sys

import structlog

from logsafe import json_lines_formatter, make_host_chain_safe, redact, route_to_stdlib

__all__ = ["LOGGER_NAME", "configure_logging", "json_lines_formatter", "redact"]

LOGGER_NAME = "fastapi_app"


def configure_logging(level: int = logging.INFO) -> None:
    """Make the port's logs safe and JSON; idempotent, see the module docstring."""
    if structlog.is_configured():
        make_host_chain_safe()
    else:
        route_to_stdlib(level)
    _ensure_stderr_handler(level)


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

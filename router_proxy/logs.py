"""Logging for the shim: one access event per request (request id, route key, backend,
mode, status, duration), with ``logsafe``'s redaction of credentials wherever they turn up
(A19).

structlog hands every event to stdlib logging (never to stdout): importing this module
routes structlog there once, unless the application configured structlog itself; a
process that runs the router (``strangler serve``) calls ``configure()`` to get one JSON
line per event on stderr, stdlib records of other libraries included.

The router never hands a header value, a body or a query string to a log call; the
processor is the second belt: any key that names a credential, and any ``Bearer ...``
text, is replaced before rendering.

The access line is on every request's path, so it skips structlog's generic chain (~13 us):
``AccessLog`` builds the event once, redacts the two strings a client controls (path and
request id), renders the JSON itself and hands stdlib one record that carries the line,
which ``json_formatter`` writes as is. ``[router] access_log`` picks what is logged:
``"all"`` (default), ``"errors"`` (status >= 500, or no answer) or ``"off"``.

Example:
    >>> redact(None, "info", {"authorization": "Bearer abc", "msg": "token Bearer xyz"})
    {'authorization': '[redacted]', 'msg': 'token Bearer [redacted]'}
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import structlog

from logsafe import json_lines_formatter, redact, redact_text, route_to_stdlib

__all__ = ["ACCESS_LOGGER", "AccessLog", "access_log", "configure", "json_formatter", "redact"]

ACCESS_LOGGER = "router_proxy.access"
ACCESS_LINE = "strangler_access_line"  # the record attribute that carries the rendered line

access_log = structlog.get_logger(ACCESS_LOGGER)


class AccessLog:
    """One JSON line per request, at the cost of one dict, one ``json.dumps`` and one
    stdlib record (no caller lookup, no generic processor chain): ~10 us against ~25 us
    through structlog's bound logger and ``ProcessorFormatter``."""

    def __init__(self, mode: str = "all") -> None:
        self.mode = mode
        self._stdlib = logging.getLogger(ACCESS_LOGGER)
        self._second = -1
        self._second_text = ""

    def wanted(self, status: int, failed: bool = False) -> bool:
        """``failed``: a backend failed even though the client was answered (a fallback)."""
        if self.mode == "all":
            return self._stdlib.isEnabledFor(logging.INFO)
        if self.mode == "errors" and (status >= 500 or status == 0 or failed):
            return self._stdlib.isEnabledFor(logging.INFO)
        return False

    def request(self, event: dict[str, Any]) -> None:
        """``event``: the fields, ``request_id`` and ``path`` among them; call only when
        ``wanted``."""
        event["request_id"] = redact_text(event["request_id"])
        event["path"] = redact_text(event["path"])
        event["event"] = "request"
        event["level"] = "info"
        event["timestamp"] = self._now()
        extra = {"_logger": self._stdlib, "_name": "info", ACCESS_LINE: json.dumps(event)}
        record = self._stdlib.makeRecord(
            ACCESS_LOGGER, logging.INFO, __file__, 0, event, (), None, extra=extra
        )
        self._stdlib.handle(record)

    def _now(self) -> str:
        """What ``TimeStamper(fmt="iso", utc=True)`` writes, formatting the date once a second."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int((now - second) * 1_000_000):06d}Z"


class _JsonLines(structlog.stdlib.ProcessorFormatter):
    def format(self, record: logging.LogRecord) -> str:
        line = getattr(record, ACCESS_LINE, None)
        if isinstance(line, str):  # AccessLog rendered (and redacted) it already
            return line
        return super().format(record)


def json_formatter() -> logging.Formatter:
    """One JSON line per record, structlog's and plain stdlib ones alike, redacted."""
    return json_lines_formatter(_JsonLines)


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

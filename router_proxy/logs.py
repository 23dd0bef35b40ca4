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
import os
import sys
import threading
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
    stdlib record (no caller lookup, no generic processor chain).

    The record is a copy of one made by ``makeRecord`` for this process and thread, with
    the message and the times filled in: every attribute a handler, filter or formatter
    may read is there, without ``LogRecord.__init__``'s path, thread and process lookups
    on each request (~7 us of the ~19 us a line cost)."""

    def __init__(self, mode: str = "all") -> None:
        self.mode = mode
        self._stdlib = logging.getLogger(ACCESS_LOGGER)
        self._second = -1
        self._second_text = ""
        self._templates: dict[tuple[int, int], dict[str, Any]] = {}

    def wanted(self, status: int, failed: bool = False) -> bool:
        """``failed``: a backend failed even though the client was answered (a fallback)."""
        if self.mode == "all":
            return self._stdlib.isEnabledFor(logging.INFO)
        if self.mode == "errors" and (status >= 500 or status == 0 or failed):
            return self._stdlib.isEnabledFor(logging.INFO)
        return False

    def request(self, event: dict[str, Any], minted_id: bool = False) -> None:
        """``event``: the fields, ``request_id`` and ``path`` among them; call only when
        ``wanted``. ``minted_id``: the router made the request id, so it holds no client
        text to redact (its hex digits would send every id through the card check)."""
        if not minted_id:
            event["request_id"] = redact_text(event["request_id"])
        event["path"] = redact_text(event["path"])
        now = time.time()
        event["event"] = "request"
        event["level"] = "info"
        event["timestamp"] = self._timestamp(now)
        self._stdlib.handle(self._record(event, json.dumps(event), now))

    def _record(self, event: dict[str, Any], line: str, now: float) -> logging.LogRecord:
        key = (os.getpid(), threading.get_ident())
        template = self._templates.get(key)
        if template is None:
            made = self._stdlib.makeRecord(
                ACCESS_LOGGER, logging.INFO, __file__, 0, "", (), None, extra=_EXTRA
            )
            template = self._templates[key] = dict(made.__dict__)
        record = logging.LogRecord.__new__(logging.LogRecord)
        fields = record.__dict__
        fields.update(template)
        fields["msg"] = event
        fields["created"] = now
        fields["msecs"] = int((now - int(now)) * 1000) + 0.0
        fields["relativeCreated"] = template["relativeCreated"] + (now - template["created"]) * 1000
        fields[ACCESS_LINE] = line
        return record

    def _timestamp(self, now: float) -> str:
        """What ``TimeStamper(fmt="iso", utc=True)`` writes, formatting the date once a second."""
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int((now - second) * 1_000_000):06d}Z"


# What structlog's stdlib bridge puts on a record (formatters read them), the line aside.
_EXTRA = {"_logger": logging.getLogger(ACCESS_LOGGER), "_name": "info", ACCESS_LINE: ""}


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

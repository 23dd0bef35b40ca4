"""structlog to stdlib, and the one JSON-lines formatter every process here writes with.

Example:
    >>> import logging
    >>> record = logging.makeLogRecord({"msg": "Authorization: Bearer abc", "name": "x"})
    >>> '"event": "Authorization: [redacted]"' in json_lines_formatter().format(record)
    True
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

from logsafe.redaction import redact

# format_exc_info before redact: the traceback text is redacted too, and it is a plain
# traceback; structlog's default rich one prints every frame's locals (bodies, keys).
SAFE_STEPS: list[Any] = [structlog.processors.format_exc_info, redact]
SHARED_STEPS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def route_to_stdlib(level: int = logging.INFO) -> None:
    """structlog events become stdlib records, made safe before any handler renders them."""
    structlog.configure(
        processors=[
            *SHARED_STEPS,
            *SAFE_STEPS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Without this every log call re-binds a logger: ~15% of an access line's cost.
        cache_logger_on_first_use=True,
    )


def make_host_chain_safe() -> None:
    """For a host that configured structlog itself: our safe steps run just before its
    renderer (the last processor), the rest of its setup stays as it is."""
    processors = list(structlog.get_config()["processors"])
    if redact in processors:
        return
    structlog.configure(processors=[*processors[:-1], *SAFE_STEPS, *processors[-1:]])


def json_lines_formatter(
    formatter_class: type[structlog.stdlib.ProcessorFormatter] = (
        structlog.stdlib.ProcessorFormatter
    ),
) -> logging.Formatter:
    """One redacted JSON line per record, structlog's and plain stdlib ones alike.

    ``formatter_class`` lets a caller that pre-renders some records (the router's access
    line) subclass ``ProcessorFormatter`` and keep this chain.
    """
    return formatter_class(
        foreign_pre_chain=[*SHARED_STEPS, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *SAFE_STEPS,
            structlog.processors.JSONRenderer(),
        ],
    )

"""logsafe: JSON-lines logging that cannot leak a credential (A19), for any process here.

Use it where a process that handles payments sets up its logs: the router and its shadow
worker (``router_proxy.logs``) and the FastAPI port (``fastapi_app.logs``). It sits below
every other package and imports only structlog, so the apps may use it without learning
anything of the shim.

It gives:

* the one redaction policy (``logsafe.redaction``), for log lines and for what the parity
  ledger and the traffic recorder store alike: ``redact`` (a structlog processor: a key
  that names a credential becomes ``[redacted]``, and so does credential-looking text and
  a card number in any string value), ``redact_text``, ``redact_json``,
  ``redact_headers``, ``redact_pairs``, ``redacted_body``;
* ``route_to_stdlib``: structlog events become stdlib records, exceptions rendered as plain
  tracebacks (never with frame locals) and redacted before anything renders them;
* ``json_lines_formatter``: the stdlib formatter that writes one redacted JSON line per
  record, structlog's and other libraries' alike.

Example:
    >>> redact(None, "info", {"authorization": "Bearer abc", "msg": "key sk_test_abc1"})
    {'authorization': '[redacted]', 'msg': 'key [redacted]'}
"""

from __future__ import annotations

from logsafe.redaction import (
    REDACTED,
    is_card_number,
    is_secret_name,
    redact,
    redact_headers,
    redact_json,
    redact_pairs,
    redact_text,
    redacted_body,
)
from logsafe.setup import (
    SAFE_STEPS,
    SHARED_STEPS,
    json_lines_formatter,
    make_host_chain_safe,
    route_to_stdlib,
)

__all__ = [
    "REDACTED",
    "SAFE_STEPS",
    "SHARED_STEPS",
    "is_card_number",
    "is_secret_name",
    "json_lines_formatter",
    "make_host_chain_safe",
    "redact",
    "redact_headers",
    "redact_json",
    "redact_pairs",
    "redact_text",
    "redacted_body",
    "route_to_stdlib",
]

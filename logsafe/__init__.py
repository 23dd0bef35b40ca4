"""logsafe: JSON-lines logging that cannot leak a credential (A19), for any process here.

Use it where a process that handles payments sets up its logs: the router and its shadow
worker (``router_proxy.logs``) and the FastAPI port (``fastapi_app.logs``). It sits below
every other package and imports only structlog, so the apps may use it without learning
anything of the shim.

It gives three things:

* ``redact``: a structlog processor; a key that names a credential (Authorization, Cookie,
  Set-Cookie, Idempotency-Key, API keys, bodies) becomes ``[redacted]``, and so does
  credential-looking text in any string value (``sk_live_...``, ``Bearer ...``,
  ``Idempotency-Key: ...`` inside a traceback);
* ``route_to_stdlib``: structlog events become stdlib records, exceptions rendered as plain
  tracebacks (never with frame locals) and redacted before anything renders them;
* ``json_lines_formatter``: the stdlib formatter that writes one redacted JSON line per
  record, structlog's and other libraries' alike.

Example:
    >>> redact(None, "info", {"authorization": "Bearer abc", "msg": "key sk_test_abc1"})
    {'authorization': '[redacted]', 'msg': 'key [redacted]'}
"""

from __future__ import annotations

from logsafe.redaction import REDACTED, SENSITIVE_KEYS, redact, redact_text
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
    "SENSITIVE_KEYS",
    "SHARED_STEPS",
    "json_lines_formatter",
    "make_host_chain_safe",
    "redact",
    "redact_text",
    "route_to_stdlib",
]

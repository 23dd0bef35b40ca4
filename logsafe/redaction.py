"""The one redaction policy: what never leaves a process here, in a log line, a parity
ledger row or a recorded exchange (A19).

Blanked, everywhere alike, with ``[redacted]``:

- a value whose name says it is a credential: the Authorization, Proxy-Authorization,
  Cookie, Set-Cookie and Idempotency-Key headers, and any name with ``api key``,
  ``token``, ``secret``, ``password`` or ``session`` in it (as a header, a log key, a
  query parameter or a JSON field: a body may echo headers, httpbin's ``/get`` does);
- in any text: ``sk_live_``/``sk_test_`` keys, bearer and basic credentials, a credential
  header written out (``Idempotency-Key: k1`` inside a traceback), and card-like numbers
  (13 to 19 digits, grouped by spaces or dashes or not, that pass the Luhn check; also
  as JSON numbers).

Log events also blank a ``body`` key: logs show shape, not payloads.

Example:
    >>> redact_json({"card": "4242 4242 4242 4242", "api_key": "k", "amount_cents": 500})
    {'card': '[redacted]', 'api_key': '[redacted]', 'amount_cents': 500}
    >>> redact(None, "info", {"authorization": "Bearer abc", "msg": "key sk_test_abc1"})
    {'authorization': '[redacted]', 'msg': 'key [redacted]'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "idempotency-key"}
)
_SECRET_NAME = re.compile(
    r"api[-_]?key|apikey|token|secret|password|session|set[-_]cookie|idempotency[-_]key",
    re.IGNORECASE,
)
# Keys of a log event that are blanked whatever their value: payloads stay out of logs.
_LOG_ONLY_KEYS = frozenset({"body"})
BODY_LIMIT = 64 * 1024

_API_KEY = re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9_]+")
_CREDENTIAL_HEADER = re.compile(
    r"(?i)\b(authorization|cookie|set-cookie|idempotency-key)(['\"]?\s*[:=]\s*)[^\r\n,;}]+"
)
_HEADER_WORDS = ("authorization", "cookie", "idempotency-key")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
# 13-19 digits, optionally grouped by single spaces or dashes (how PANs are written).
_CARD_LIKE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){12}")


def is_secret_name(name: str) -> bool:
    """A header, key or parameter name whose value is a credential."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or bool(_SECRET_NAME.search(lowered))


def redact_text(text: str) -> str:
    """``text`` with API keys, credentials and card-like numbers blanked.

    >>> redact_text("paid with 4111-1111-1111-1111, Idempotency-Key: k1, key sk_live_abc")
    'paid with [redacted], Idempotency-Key: [redacted], key [redacted]'
    """
    # The access line runs this twice a request: plain substring checks and one C-speed
    # search let the common case (a path, a request id) skip every other regex.
    lowered = text.lower()
    if "sk_" in text:
        text = _API_KEY.sub(REDACTED, text)
    if any(word in lowered for word in _HEADER_WORDS):
        text = _CREDENTIAL_HEADER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    if "bearer" in lowered or "basic" in lowered:
        text = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)
    if len(text) >= 13 and _DIGIT_RUN.search(text):
        text = _CARD_LIKE.sub(_card_or_kept, text)
    return text


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: credential keys and credential-looking text become ``[redacted]``.

    >>> redact(None, "info", {"idempotency_key": "k1", "path": "/api/v1/accounts/1"})
    {'idempotency_key': '[redacted]', 'path': '/api/v1/accounts/1'}
    """
    for key, value in list(event.items()):
        if key.lower() in _LOG_ONLY_KEYS or is_secret_name(key):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Secret headers blanked, the rest redacted as text.

    >>> redact_headers({"Authorization": "Bearer sk_test_1", "Accept": "*/*"})
    {'Authorization': '[redacted]', 'Accept': '*/*'}
    """
    return {
        name: REDACTED if is_secret_name(name) else redact_text(value)
        for name, value in headers.items()
    }


def redact_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Query parameters: a secret-looking name blanks its value, and text is redacted."""
    return [(k, REDACTED if is_secret_name(k) else redact_text(v)) for k, v in pairs]


def redacted_body(body: bytes) -> Any:
    """JSON, redacted; anything else as ``{"text", "bytes"}`` (the first 64 KiB)."""
    try:
        return redact_json(json.loads(body)) if body else None
    except ValueError:
        pass
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    return {"text": redact_text(text), "bytes": len(body)}


def redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if is_secret_name(str(key)) else redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and is_card_number(str(value)):
        return REDACTED
    return value


def is_card_number(text: str) -> bool:
    """Luhn over 13-19 digits: ``4242424242424242`` is one, ``1234567890123`` is not."""
    digits = [int(c) for c in text if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card_or_kept(found: re.Match[str]) -> str:
    return REDACTED if is_card_number(found[0]) else found[0]

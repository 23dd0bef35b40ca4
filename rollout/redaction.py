"""What never leaves the router in a stored exchange, and the functions that remove it.

The parity ledger (``rollout.ledger``) and the traffic recorder (``rollout.recordings``)
store requests and answers of a payments API, so both blank the same things first: the
Authorization, Cookie, Set-Cookie, Idempotency-Key and API-key headers, API-key-like
query parameters and body fields, ``sk_live_``/``sk_test_`` keys anywhere in text, and
card-like numbers (13 to 19 digits that pass the Luhn check, in text or as JSON numbers).

Example:
    >>> redact_json({"card": "4242 4242 4242 4242", "api_key": "k", "amount_cents": 500})
    {'card': '[REDACTED]', 'api_key': '[REDACTED]', 'amount_cents': 500}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "idempotency-key"}
)
SECRET_NAME = re.compile(r"api[-_]?key|apikey|token|secret|password|session", re.IGNORECASE)
_API_KEY_VALUE = re.compile(r"sk_(?:live|test)_[A-Za-z0-9]+")
# 13-19 digits, optionally grouped by single spaces or dashes (how PANs are written).
_CARD_LIKE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
BODY_LIMIT = 64 * 1024


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or bool(SECRET_NAME.search(lowered))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Secret headers blanked, the rest redacted as text.

    >>> redact_headers({"Authorization": "Bearer sk_test_1", "Accept": "*/*"})
    {'Authorization': '[REDACTED]', 'Accept': '*/*'}
    """
    return {
        name: REDACTED if is_secret_header(name) else redact_text(value)
        for name, value in headers.items()
    }


def redact_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Query parameters: a secret-looking name blanks its value, and text is redacted."""
    return [(k, REDACTED if SECRET_NAME.search(k) else redact_text(v)) for k, v in pairs]


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
            # A body may echo headers (httpbin's /get does): a credential's name blanks it.
            key: REDACTED if is_secret_header(str(key)) else redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and is_card_number(str(value)):
        return REDACTED
    return value


def redact_text(text: str) -> str:
    """API keys and card-like numbers blanked.

    >>> redact_text("paid with 4111-1111-1111-1111, key sk_live_abc")
    'paid with [REDACTED], key [REDACTED]'
    """
    if "sk_" in text:
        text = _API_KEY_VALUE.sub(REDACTED, text)
    return _CARD_LIKE.sub(_card_or_kept, text) if _has_long_digit_run(text) else text


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


def _has_long_digit_run(text: str) -> bool:
    # Cheap gate before the regex: most text has no 13 digits at all.
    return sum(c.isdigit() for c in text) >= 13

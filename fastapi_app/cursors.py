"""Keyset cursors, identical to the legacy app's: unpadded base64url of a compact JSON array.

Accounts and ledger entries page by ``[id]``; payments by ``[created_at, payment id]``.
A cursor from one implementation works on the other.

Example:
    >>> encode_cursor([42])
    'WzQyXQ'
    >>> decode_id_cursor("WzQyXQ")
    42
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

from fastapi_app.wire import format_timestamp, parse_timestamp

BIGINT_MAX = 9223372036854775807
PAYMENT_ID = re.compile(r"pay_[0-9a-f]{24}")


class InvalidCursor(ValueError):
    """The text is not a cursor this endpoint issued."""


def encode_cursor(key: list[Any]) -> str:
    text = json.dumps(key, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode("ascii")).rstrip(b"=").decode("ascii")


def _decode(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise InvalidCursor(cursor) from exc
    if not isinstance(value, list):
        raise InvalidCursor(cursor)
    return value


def decode_id_cursor(cursor: str) -> int:
    """The last id of the previous page (accounts, ledger entries)."""
    value = _decode(cursor)
    if len(value) != 1 or type(value[0]) is not int or not 1 <= value[0] <= BIGINT_MAX:
        raise InvalidCursor(cursor)
    return value[0]


def decode_payment_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(created_at, id)`` of the last payment of the previous page."""
    value = _decode(cursor)
    if len(value) != 2 or not all(isinstance(part, str) for part in value):
        raise InvalidCursor(cursor)
    if not PAYMENT_ID.fullmatch(value[1]):
        raise InvalidCursor(cursor)
    try:
        created_at = parse_timestamp(value[0])
    except ValueError as exc:
        raise InvalidCursor(cursor) from exc
    if format_timestamp(created_at) != value[0]:
        raise InvalidCursor(cursor)
    return created_at, value[1]

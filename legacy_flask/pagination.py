"""Query-string parsing for the list endpoints and the opaque keyset cursors.

A cursor is the unpadded base64url of the compact JSON array of the last row's key.

Example:
    >>> encode_cursor([42])
    'WzQyXQ'
    >>> decode_cursor('WzQyXQ')
    [42]
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from legacy_flask.validation import MAX_BIGINT
from legacy_flask.wire import format_timestamp, parse_timestamp

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
DIGITS = re.compile(r"[0-9]+")
SIGNED_DIGITS = re.compile(r"-?[0-9]+")
PAYMENT_ID = re.compile(r"pay_[0-9a-f]{24}")
LIMIT_MESSAGE = f"must be an integer between 1 and {MAX_LIMIT}"

Row = TypeVar("Row")


class QueryErrors(dict[str, str]):
    """Bad query parameters, collected so that all of them are reported at once."""


def parse_limit(args: Mapping[str, str], errors: QueryErrors) -> int:
    raw = args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if DIGITS.fullmatch(raw) and 1 <= int(raw) <= MAX_LIMIT:
        return int(raw)
    errors["limit"] = LIMIT_MESSAGE
    return DEFAULT_LIMIT


def parse_choice(
    args: Mapping[str, str], name: str, choices: Sequence[str], errors: QueryErrors
) -> str | None:
    raw = args.get(name)
    if raw is None or raw in choices:
        return raw
    errors[name] = f"must be one of: {', '.join(choices)}"
    return None


def parse_integer(args: Mapping[str, str], name: str, errors: QueryErrors) -> int | None:
    raw = args.get(name)
    if raw is None:
        return None
    if SIGNED_DIGITS.fullmatch(raw):
        return int(raw)
    errors[name] = "must be an integer"
    return None


def parse_cursor(
    args: Mapping[str, str], errors: QueryErrors, is_valid: Callable[[list[Any]], bool]
) -> list[Any] | None:
    raw = args.get("cursor")
    if raw is None:
        return None
    key = decode_cursor(raw)
    if key is None or not is_valid(key):
        errors["cursor"] = "invalid cursor"
        return None
    return key


def encode_cursor(key: list[Any]) -> str:
    packed = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_cursor(raw: str) -> list[Any] | None:
    try:
        packed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        key = json.loads(packed)
    except (ValueError, binascii.Error, RecursionError):
        return None
    return key if isinstance(key, list) else None


def is_id_key(key: list[Any]) -> bool:
    return len(key) == 1 and type(key[0]) is int and 1 <= key[0] <= MAX_BIGINT


def is_payment_key(key: list[Any]) -> bool:
    if len(key) != 2 or not all(isinstance(part, str) for part in key):
        return False
    created_at, payment_id = key
    return _is_timestamp(created_at) and PAYMENT_ID.fullmatch(payment_id) is not None


def _is_timestamp(text: str) -> bool:
    try:
        return format_timestamp(parse_timestamp(text)) == text
    except ValueError:
        return False


def page(
    rows: Sequence[Row], limit: int, render: Callable[[Row], Any], key: Callable[[Row], list[Any]]
) -> dict[str, Any]:
    """The list body: ``limit + 1`` rows were fetched, the extra one says there is more."""
    shown = rows[:limit]
    more = len(rows) > limit
    return {
        "data": [render(row) for row in shown],
        "next_cursor": encode_cursor(key(shown[-1])) if more and shown else None,
    }

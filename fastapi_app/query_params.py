"""Query-string parameters of the list endpoints, checked with the contract's messages.

The first value of a repeated parameter wins, as with Flask's ``request.args.get``.
Unknown parameters are ignored.

Example:
    >>> from starlette.datastructures import QueryParams
    >>> parse_limit(QueryParams("limit=5"), {})
    5
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from starlette.datastructures import QueryParams

from fastapi_app.cursors import InvalidCursor

Key = TypeVar("Key")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
DIGITS = re.compile(r"[0-9]+")
SIGNED_DIGITS = re.compile(r"-?[0-9]+")
LIMIT_MESSAGE = f"must be an integer between 1 and {MAX_LIMIT}"
ACCOUNT_STATUSES = ("active", "frozen", "closed")
PAYMENT_STATUSES = ("succeeded", "partially_refunded", "refunded")
LEDGER_KINDS = ("deposit", "payment", "refund", "transfer_in", "transfer_out")


def first(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    return values[0] if values else None


def parse_limit(params: QueryParams, errors: dict[str, str]) -> int:
    text = first(params, "limit")
    if text is None:
        return DEFAULT_LIMIT
    if DIGITS.fullmatch(text) and 1 <= int(text) <= MAX_LIMIT:
        return int(text)
    errors["limit"] = LIMIT_MESSAGE
    return DEFAULT_LIMIT


def parse_choice(
    params: QueryParams, name: str, choices: tuple[str, ...], errors: dict[str, str]
) -> str | None:
    text = first(params, name)
    if text is None or text in choices:
        return text
    errors[name] = f"must be one of: {', '.join(choices)}"
    return None


def parse_integer(params: QueryParams, name: str, errors: dict[str, str]) -> int | None:
    text = first(params, name)
    if text is None:
        return None
    if SIGNED_DIGITS.fullmatch(text):
        return int(text)
    errors[name] = "must be an integer"
    return None


def parse_cursor(
    params: QueryParams, errors: dict[str, str], decode: Callable[[str], Key]
) -> Key | None:
    """The ``cursor`` parameter decoded into a list's last key; a bad one is a field error."""
    text = first(params, "cursor")
    if text is None:
        return None
    try:
        return decode(text)
    except InvalidCursor:
        errors["cursor"] = "invalid cursor"
        return None

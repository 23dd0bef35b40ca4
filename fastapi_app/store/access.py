"""The checks every resource read or write starts with: it exists, it is the caller's.

Example:
    >>> owned_by({"owner": "org_1"}, "org_1")
    {'owner': 'org_1'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi_app.errors import AccountNotActive, Forbidden, NotFound

BIGINT_MAX = 9223372036854775807
M = TypeVar("M", bound=Mapping[str, Any])


def owned_by(row: M | None, owner: str) -> M:
    """The row when it exists and belongs to ``owner``; 404 or 403 otherwise."""
    if row is None:
        raise NotFound()
    if row["owner"] != owner:
        raise Forbidden()
    return row


def require_active(account: Mapping[str, Any]) -> None:
    if account["status"] != "active":
        raise AccountNotActive()


def valid_bigint_id(value: int) -> int:
    """Path ids beyond bigint cannot exist: 404 rather than a database error."""
    if not 0 <= value <= BIGINT_MAX:
        raise NotFound()
    return value

"""The latest parity mismatches, read back from the ledger for the dashboard.

The ledger stores them already redacted (``rollout.evidence.ledger``); the values still hold user
data, so the templates escape every one of them (Jinja2 autoescape).

Example:
    >>> reader = MismatchReader("postgresql://postgres@127.0.0.1:5432/test")
    >>> reader.latest(limit=5)  # doctest: +SKIP
    [Mismatch(id=3, route_key='GET /api/v1/me', ...)]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2

from rollout.dashboard.errors import DashboardDataError
from rollout.pg import Lease

_LATEST = """
SELECT id, route_key, observed_at, source, request, differences FROM strangler.parity_mismatches
WHERE %(route)s::text IS NULL OR route_key = %(route)s
ORDER BY observed_at DESC, id DESC LIMIT %(limit)s
"""
_VALUE_LIMIT = 300  # characters of one side of a difference shown inline


@dataclass(frozen=True, slots=True)
class DifferenceView:
    path: str
    kind: str
    legacy: str
    new: str


@dataclass(frozen=True, slots=True)
class Mismatch:
    id: int
    route_key: str
    observed_at: datetime
    source: str
    request_line: str
    differences: tuple[DifferenceView, ...]


class MismatchReader:
    def __init__(self, database_url: str) -> None:
        self._db = Lease(database_url)

    def close(self) -> None:
        self._db.close()

    def latest(self, limit: int = 10, route_key: str | None = None) -> list[Mismatch]:
        """Raises DashboardDataError when the ledger cannot be read."""
        try:
            with self._db.cursor() as cur:
                cur.execute(_LATEST, {"route": route_key, "limit": limit})
                rows = cur.fetchall()
        except psycopg2.Error as exc:
            raise DashboardDataError(f"parity ledger unreadable ({type(exc).__name__})") from exc
        return [_mismatch(row) for row in rows]


def _mismatch(row: tuple[Any, ...]) -> Mismatch:
    id_, route_key, observed_at, source, request, differences = row
    line = f"{request.get('method', '?')} {request.get('path', '?')}"
    if request.get("query"):
        line += f"?{request['query']}"
    return Mismatch(
        id=int(id_),
        route_key=route_key,
        observed_at=observed_at,
        source=source,
        request_line=line,
        differences=tuple(_difference(item) for item in differences or ()),
    )


def _difference(item: dict[str, Any]) -> DifferenceView:
    return DifferenceView(
        path=str(item.get("path", "")),
        kind=str(item.get("kind", "")),
        legacy=_shown(item.get("legacy_value")),
        new=_shown(item.get("new_value")),
    )


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _VALUE_LIMIT else text[:_VALUE_LIMIT] + "…"

"""Parity case files from recorded exchanges (``parity_tests.cases`` format).

One case per distinct request (method, path, query, body), different statuses first, so
a handful of cases cover what legacy was seen to do. The recorder stored them redacted,
so a case carries no credentials: ``auth`` names an owner of the parity world
(``--auth``), and a write gets a fresh Idempotency-Key from the harness.

Normalisers: a JSON path of the answers whose values varied across the recorded samples
is ignored in the comparison when it holds timestamps (``date-time``/``date`` strings)
or ids (a key ``id`` or ending in ``_id``); a write's ``$.id`` and ``$.created_at`` are
ignored always, since each run creates its own row.

Example:
    >>> varying_paths([{"id": 1, "created_at": "2026-01-01T00:00:00Z", "n": 1},
    ...                {"id": 2, "created_at": "2026-01-02T00:00:00Z", "n": 2}])
    ['$.created_at', '$.id']
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from rollout.traffic.recordings import ExchangeRow
from rollout.traffic.shapes import infer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ID_KEY = re.compile(r"(^|_)id$")


def cases_from_rows(
    route_key: str, rows: Sequence[ExchangeRow], limit: int, auth: str | None
) -> list[dict[str, Any]]:
    """At most ``limit`` case dicts for ``route_key``, each a distinct recorded request."""
    ignore = ignored_paths(route_key, rows)
    chosen = _distinct(rows)[:limit]
    return [_case(route_key, row, ignore, auth) for row in chosen]


def ignored_paths(route_key: str, rows: Sequence[ExchangeRow]) -> list[str]:
    bodies = [row.exchange.get("response_body") for row in rows if 200 <= row.status < 300]
    found = set(varying_paths([b for b in bodies if isinstance(b, dict | list)]))
    if route_key.split(" ", 1)[0] in WRITE_METHODS:
        found |= {"$.id", "$.created_at"}
    return sorted(found)


def varying_paths(bodies: Sequence[Any]) -> list[str]:
    """Paths of id and timestamp values that differ across ``bodies``."""
    values: dict[str, set[str]] = defaultdict(set)
    for body in bodies:
        for path, key, value in _leaves(body, "$", ""):
            if _is_id(key) or _is_time(value):
                values[path].add(json.dumps(value))
    return sorted(path for path, seen in values.items() if len(seen) > 1)


def _leaves(value: Any, path: str, key: str) -> Iterator[tuple[str, str, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, f"{path}.{name}", str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, f"{path}[*]", key)
    else:
        yield path, key, value


def _is_id(key: str) -> bool:
    return bool(_ID_KEY.search(key))


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and infer(value).get("format") in ("date-time", "date")


def _distinct(rows: Iterable[ExchangeRow]) -> list[ExchangeRow]:
    """One row per distinct request, newest kept; rows of a status not yet covered first."""
    by_request: dict[str, ExchangeRow] = {}
    for row in rows:
        exchange = row.exchange
        request = [exchange["method"], exchange["path"], exchange["query"],
                   exchange.get("request_body")]  # fmt: skip
        by_request[json.dumps(request, sort_keys=True)] = row
    covered: set[int] = set()
    first: list[ExchangeRow] = []
    rest: list[ExchangeRow] = []
    for row in sorted(by_request.values(), key=lambda r: -r.id):
        (rest if row.status in covered else first).append(row)
        covered.add(row.status)
    return first + rest


def _case(route_key: str, row: ExchangeRow, ignore: list[str], auth: str | None) -> dict[str, Any]:
    exchange = row.exchange
    step: dict[str, Any] = {"method": exchange["method"], "path": exchange["path"]}
    if exchange.get("query"):
        step["query"] = dict(exchange["query"])
    if auth:
        step["auth"] = auth
    body = exchange.get("request_body")
    if row.request_schema is not None:
        step["json"] = body
    elif isinstance(body, dict) and "text" in body:
        step["body"] = body["text"]
    slug = re.sub(r"[^a-z0-9]+", "-", route_key.lower()).strip("-")
    case: dict[str, Any] = {
        "id": f"recorded-{row.id}-{slug}"[:80].rstrip("-"),
        "route": route_key,
        "description": (
            f"recorded exchange {row.id}: legacy answered {row.status}; ids in the path and "
            "body are as recorded, point them at the parity world's"
        ),
        "request": step,
        "observed": {"legacy": {"status": row.status, "body": exchange.get("response_body")}},
    }
    if ignore:
        case["compare"] = {"ignore": ignore}
    return case

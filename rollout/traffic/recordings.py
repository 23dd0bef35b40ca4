"""The traffic recorder's store: redacted exchanges in PostgreSQL (``recorded_exchanges``,
migration 0005), and the shape of a route read back from them.

``exchange_row`` turns what the router saw into what is stored: the request's path and
path parameters, query, the headers that describe a body (never credentials), the
answer's status and headers, both bodies redacted (``logsafe.redaction``: no
credentials, no card numbers) and the JSON Schema of each body inferred from the values
*before* redaction (a schema holds no values). ``route_shape`` merges a route's rows into
what the merged OpenAPI and ``strangler port`` need.

Example:
    >>> seen = Seen("GET /items/{item_id}", "legacy", "GET", "/items/7", b"limit=5",
    ...             {"accept": "application/json"}, b"", 200,
    ...             {"content-type": "application/json"}, b'{"id": 7}')
    >>> row = exchange_row(seen)
    >>> row.exchange["path_params"], row.response_schema["properties"]
    ({'item_id': '7'}, {'id': {'type': 'integer'}})
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from logsafe.redaction import (
    is_secret_name,
    redact_headers,
    redact_pairs,
    redact_text,
    redacted_body,
)
from rollout.errors import RecordingError
from rollout.pg import Lease
from rollout.traffic.shapes import Schema, infer, merge, merge_all

# Headers kept: what describes a body or the answer, never who the caller is.
REQUEST_HEADERS = frozenset({"content-type", "accept", "accept-language", "if-none-match"})
RESPONSE_HEADERS = frozenset(
    {"content-type", "location", "cache-control", "etag", "retry-after", "vary", "allow"}
)
_VARIABLE = re.compile(r"{(\w+)(:path)?}")

_INSERT = """
INSERT INTO strangler.recorded_exchanges
    (route_key, backend, status, exchange, request_schema, response_schema)
VALUES %s
"""
# Keep the newest ``max_rows`` of the route: everything older than the max_rows-th goes.
_TRIM = """
DELETE FROM strangler.recorded_exchanges WHERE route_key = %(key)s AND id < (
    SELECT id FROM strangler.recorded_exchanges WHERE route_key = %(key)s
    ORDER BY id DESC OFFSET %(keep)s LIMIT 1)
"""
_SELECT = """
SELECT id, route_key, backend, status, {exchange}, request_schema, response_schema
FROM strangler.recorded_exchanges {where} ORDER BY id
"""
# What route_shape reads: the schemas, not the (up to 256 KiB) bodies.
_WITHOUT_BODIES = "exchange - 'request_body' - 'response_body'"


@dataclass(frozen=True, slots=True)
class Seen:
    """One request and its answer as the router saw them (bodies whole, nothing redacted)."""

    route_key: str
    backend: str
    method: str
    path: str
    query_string: bytes
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes


@dataclass(frozen=True, slots=True)
class ExchangeRow:
    route_key: str
    backend: str
    status: int
    exchange: dict[str, Any]  # redacted
    request_schema: Schema | None = None  # None: no JSON body
    response_schema: Schema | None = None
    id: int = 0


def exchange_row(seen: Seen) -> ExchangeRow:
    """What is stored of ``seen``: redacted values, schemas from the unredacted ones."""
    request_json, request_value = _json_body(seen.request_headers, seen.request_body)
    response_json, response_value = _json_body(seen.response_headers, seen.response_body)
    exchange = {
        "method": seen.method,
        "path": redact_text(seen.path),
        "path_params": {k: redact_text(v) for k, v in path_params(seen.route_key, seen.path)},
        "query": redact_pairs(parse_qsl(seen.query_string.decode("latin-1"))),
        "request_headers": _kept(seen.request_headers, REQUEST_HEADERS),
        "request_body": redacted_body(seen.request_body) if seen.request_body else None,
        "status": seen.status,
        "response_headers": _kept(seen.response_headers, RESPONSE_HEADERS),
        "response_body": redacted_body(seen.response_body) if seen.response_body else None,
    }
    return ExchangeRow(
        seen.route_key,
        seen.backend,
        seen.status,
        exchange,
        infer(request_value) if request_json else None,
        infer(response_value) if response_json else None,
    )


def path_params(route_key: str, path: str) -> list[tuple[str, str]]:
    """The values of a route key's ``{name}`` parameters in ``path`` (none if it does not fit).

    >>> path_params("GET /files/{name:path}", "/files/a/b.txt")
    [('name', 'a/b.txt')]
    """
    template = route_key.partition(" ")[2]
    pattern = ""
    position = 0
    for found in _VARIABLE.finditer(template):
        pattern += re.escape(template[position : found.start()])
        pattern += f"(?P<{found[1]}>.+)" if found[2] else f"(?P<{found[1]}>[^/]+)"
        position = found.end()
    pattern += re.escape(template[position:])
    matched = re.fullmatch(pattern, path)
    return list(matched.groupdict().items()) if matched else []


def _json_body(headers: Mapping[str, str], body: bytes) -> tuple[bool, Any]:
    if not body or "json" not in headers.get("content-type", "application/json"):
        return False, None
    try:
        return True, json.loads(body)
    except ValueError:
        return False, None


def _kept(headers: Mapping[str, str], names: frozenset[str]) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k in names and not is_secret_name(k)}
    return redact_headers(kept)


class RecordingStore:
    """Rows of ``recorded_exchanges``, on the process's shared connections (``rollout.pg``;
    the recorder writes from a thread). Raises RecordingError."""

    def __init__(self, database_url: str, max_rows: int = 200) -> None:
        self._db = Lease(database_url)
        self.max_rows = max_rows

    def record_many(self, rows: Sequence[ExchangeRow]) -> None:
        """One INSERT for all of ``rows``, then each route trimmed to its newest max_rows."""
        values = [
            (
                row.route_key,
                row.backend,
                row.status,
                json.dumps(row.exchange),
                _json_or_null(row.request_schema),
                _json_or_null(row.response_schema),
            )
            for row in rows
        ]
        with self._cursor() as cur:
            psycopg2.extras.execute_values(cur, _INSERT, values)
            for route_key in sorted({row.route_key for row in rows}):
                cur.execute(_TRIM, {"key": route_key, "keep": self.max_rows - 1})

    def rows(self, route_key: str | None = None, bodies: bool = True) -> list[ExchangeRow]:
        """Every kept row (of one route), oldest first; ``bodies=False`` leaves the
        exchange's bodies out (enough for ``route_shape``)."""
        where, args = ("WHERE route_key = %s", (route_key,)) if route_key else ("", ())
        exchange = "exchange" if bodies else _WITHOUT_BODIES
        with self._cursor() as cur:
            cur.execute(_SELECT.format(exchange=exchange, where=where), args)
            found = cur.fetchall()
        return [ExchangeRow(r[1], r[2], r[3], r[4], r[5], r[6], id=r[0]) for r in found]

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _cursor(self) -> Iterator[psycopg2.extensions.cursor]:
        try:
            with self._db.cursor() as cur:
                yield cur
        except psycopg2.Error as exc:
            raise RecordingError(f"traffic recorder: {type(exc).__name__}") from exc


def _json_or_null(schema: Schema | None) -> str | None:
    return json.dumps(schema) if schema is not None else None


@dataclass
class Response:
    """One status of a route as recorded: how often, its media type, its body's schema."""

    count: int = 0
    content_type: str = ""
    schema: Schema | None = None


@dataclass
class RouteShape:
    """A route as its recorded rows show it (``route_shape``)."""

    route_key: str
    samples: int = 0
    path_params: dict[str, Schema] = field(default_factory=dict)
    query: dict[str, Schema] = field(default_factory=dict)
    query_always: set[str] = field(default_factory=set)  # sent by every sample
    request_schema: Schema | None = None
    request_content_type: str = ""
    responses: dict[int, Response] = field(default_factory=dict)


def route_shape(route_key: str, rows: Sequence[ExchangeRow]) -> RouteShape:
    """Merge ``rows`` of one route. Parameter values are typed as a client wrote them:
    ``"7"`` is an integer, ``"true"`` a boolean, else a string (formats kept)."""
    shape = RouteShape(route_key, samples=len(rows))
    seen_query: list[set[str]] = []
    for row in rows:
        exchange = row.exchange
        for name, value in exchange.get("path_params", {}).items():
            _widen(shape.path_params, name, _parameter_schema(value))
        names: set[str] = set()
        for name, value in exchange.get("query", []):
            names.add(name)
            _widen(shape.query, name, _parameter_schema(value))
        seen_query.append(names)
        if row.request_schema is not None:
            shape.request_schema = merge_all(_some(shape.request_schema, row.request_schema))
            shape.request_content_type = _media(exchange.get("request_headers", {}))
        _add_response(shape, row)
    shape.query_always = set.intersection(*seen_query) if seen_query else set()
    return shape


def _add_response(shape: RouteShape, row: ExchangeRow) -> None:
    response = shape.responses.setdefault(row.status, Response())
    response.count += 1
    media = _media(row.exchange.get("response_headers", {}))
    response.content_type = response.content_type or media
    if row.response_schema is not None:
        response.schema = merge_all(_some(response.schema, row.response_schema))


def _some(*schemas: Schema | None) -> Iterable[Schema]:
    return (schema for schema in schemas if schema is not None)


def _widen(into: dict[str, Schema], name: str, schema: Schema) -> None:
    into[name] = merge(into[name], schema) if name in into else schema


def _parameter_schema(value: str) -> Schema:
    if re.fullmatch(r"-?\d{1,18}", value):
        return {"type": "integer"}
    if value in ("true", "false"):
        return {"type": "boolean"}
    return infer(value)


def _media(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip()

"""The parity ledger: every mismatch between legacy and new, stored with its evidence.

A row (table ``parity_mismatches``, migration 0002) holds the route, the time, the
request, both responses and the differences as JSON paths. Secrets are redacted before
anything is stored: the Authorization, Cookie, Set-Cookie, Idempotency-Key and API-key
headers, API-key-like query parameters and body fields, and ``sk_live_``/``sk_test_``
keys anywhere in text. ``record`` raises LedgerError; the shadow runner logs and
swallows it.

Example:
    >>> redact_headers({"Authorization": "Bearer sk_test_1", "Accept": "*/*"})
    {'Authorization': '[REDACTED]', 'Accept': '*/*'}
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import psycopg2
import psycopg2.extensions

from rollout.compare import Difference, HttpResponse
from rollout.errors import LedgerError

REDACTED = "[REDACTED]"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "idempotency-key"}
)
_SECRET_NAME = re.compile(r"api[-_]?key|apikey|token|secret|password|session", re.IGNORECASE)
_API_KEY_VALUE = re.compile(r"sk_(?:live|test)_[A-Za-z0-9]+")
BODY_LIMIT = 64 * 1024

_INSERT = """
INSERT INTO parity_mismatches
    (route_key, source, request, legacy_response, new_response, differences)
VALUES (%s, %s, %s, %s, %s, %s) RETURNING id
"""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: REDACTED if _is_secret_header(name) else _redact_text(value)
        for name, value in headers.items()
    }


def redact_request(request: RecordedRequest) -> dict[str, Any]:
    query = [(k, REDACTED if _SECRET_NAME.search(k) else v) for k, v in parse_qsl(request.query)]
    return {
        "method": request.method,
        "path": _redact_text(request.path),
        "query": _redact_text(urlencode(query)),
        "headers": redact_headers(request.headers),
        "body": _redacted_body(request.body),
    }


def redact_response(response: HttpResponse) -> dict[str, Any]:
    return {
        "status": response.status,
        "headers": redact_headers(response.headers),
        "body": _redacted_body(response.body),
    }


class ParityLedger:
    """Stores mismatches; one connection, reopened after a failure, shared under a lock."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._conn: psycopg2.extensions.connection | None = None
        self._lock = threading.Lock()

    def record(
        self,
        route_key: str,
        request: RecordedRequest,
        legacy: HttpResponse,
        new: HttpResponse,
        differences: Sequence[Difference],
        source: str = "shadow",
    ) -> int:
        row = (
            route_key,
            source,
            json.dumps(redact_request(request)),
            json.dumps(redact_response(legacy)),
            json.dumps(redact_response(new)),
            json.dumps([_redacted_difference(d) for d in differences], default=str),
        )
        with self._lock:
            try:
                with self._connection().cursor() as cur:
                    cur.execute(_INSERT, row)
                    return int(cur.fetchone()[0])  # type: ignore[index]
            except psycopg2.Error as exc:
                self.close()
                raise LedgerError(f"parity ledger write failed ({type(exc).__name__})") from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg2.extensions.connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(self._url, application_name="strangler-ledger")
            self._conn.autocommit = True
        return self._conn


def _is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or bool(_SECRET_NAME.search(lowered))


def _redacted_body(body: bytes) -> Any:
    try:
        return _redact_json(json.loads(body)) if body else None
    except ValueError:
        pass
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    return {"text": _redact_text(text), "bytes": len(body)}


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_NAME.search(str(key)) else _redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(item) for item in value]
    if isinstance(value, str):
        return _redact_text(value)
    return value


def _redacted_difference(difference: Difference) -> dict[str, Any]:
    row = asdict(difference)
    if difference.path.startswith("headers.") and _is_secret_header(difference.path[8:]):
        row["legacy_value"] = row["new_value"] = REDACTED
    else:
        row["legacy_value"] = _redact_json(row["legacy_value"])
        row["new_value"] = _redact_json(row["new_value"])
    return row


def _redact_text(text: str) -> str:
    return _API_KEY_VALUE.sub(REDACTED, text)

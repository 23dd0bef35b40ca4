"""The parity ledger: every mismatch between legacy and new, stored with its evidence.

A row (table ``parity_mismatches``, migration 0002) holds the route, the time, the
request, both responses and the differences as JSON paths. Secrets and card numbers are
redacted before anything is stored (``logsafe.redaction``). ``record`` raises
LedgerError; the shadow runner logs and swallows it.

Example:
    >>> redact_request(RecordedRequest("GET", "/api/v1/me", "api_key=k1",
    ...                                {"Authorization": "Bearer sk_test_1"}))["query"]
    'api_key=%5Bredacted%5D'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import psycopg2
import psycopg2.extensions

from logsafe.redaction import (
    REDACTED,
    is_secret_name,
    redact_headers,
    redact_json,
    redact_pairs,
    redact_text,
    redacted_body,
)
from rollout.errors import LedgerError
from rollout.evidence.compare import Difference, HttpResponse
from rollout.pg import Lease

_INSERT = """
INSERT INTO strangler.parity_mismatches
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


def redact_request(request: RecordedRequest) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": redact_text(request.path),
        "query": urlencode(redact_pairs(parse_qsl(request.query))),
        "headers": redact_headers(request.headers),
        "body": redacted_body(request.body),
    }


def redact_response(response: HttpResponse) -> dict[str, Any]:
    return {
        "status": response.status,
        "headers": redact_headers(response.headers),
        "body": redacted_body(response.body),
    }


class ParityLedger:
    """Stores mismatches, on the process's shared connections (``rollout.pg``)."""

    def __init__(self, database_url: str) -> None:
        self._db = Lease(database_url)

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
        try:
            with self._db.cursor() as cur:
                cur.execute(_INSERT, row)
                return int(cur.fetchone()[0])  # type: ignore[index]
        except psycopg2.Error as exc:
            raise LedgerError(f"parity ledger write failed ({type(exc).__name__})") from exc

    def close(self) -> None:
        self._db.close()


def _redacted_difference(difference: Difference) -> dict[str, Any]:
    row = asdict(difference)
    if difference.path.startswith("headers.") and is_secret_name(difference.path[8:]):
        row["legacy_value"] = row["new_value"] = REDACTED
    else:
        row["legacy_value"] = redact_json(row["legacy_value"])
        row["new_value"] = redact_json(row["new_value"])
    return row

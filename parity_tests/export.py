"""From production to test: a mismatch stored in the parity ledger becomes a case file.

The ledger holds requests with their secrets redacted, so the case gets no credentials:
``auth`` names a world owner chosen by the caller (``--auth``), and a write gets a fresh
Idempotency-Key from the harness. Both recorded answers go into ``observed`` for reading.

Example:
    >>> case_from_row(7, "GET /api/v1/me", {"method": "GET", "path": "/api/v1/me",
    ...               "query": "", "body": None}, {}, {}, [], "alice")["id"]
    'ledger-7-get-api-v1-me'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import psycopg2

from parity_tests.errors import ParityError

_SELECT = (
    "SELECT route_key, request, legacy_response, new_response, differences "
    "FROM strangler.parity_mismatches WHERE id = %s"
)


def fetch_mismatch(database_url: str, mismatch_id: int) -> tuple[Any, ...]:
    try:
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            cur.execute(_SELECT, (mismatch_id,))
            row = cur.fetchone()
    except psycopg2.Error as exc:
        raise ParityError(f"cannot read the parity ledger: {exc.pgerror or exc}") from exc
    if row is None:
        raise ParityError(f"no parity mismatch with id {mismatch_id}")
    return tuple(row)


def case_from_row(
    mismatch_id: int,
    route: str,
    request: dict[str, Any],
    legacy: Any,
    new: Any,
    differences: Any,
    auth: str | None,
) -> dict[str, Any]:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{request['method']} {request['path']}".lower()).strip("-")
    step: dict[str, Any] = {"method": request["method"], "path": request["path"]}
    if request.get("query"):
        step["query"] = dict(parse_qsl(request["query"]))
    if auth:
        step["auth"] = auth
    body = request.get("body")
    if isinstance(body, dict | list):
        step["json"] = body
    elif isinstance(body, dict) and "text" in body:
        step["body"] = body["text"]
    return {
        "id": f"ledger-{mismatch_id}-{slug}"[:80].rstrip("-"),
        "route": route,
        "description": f"exported from parity ledger mismatch {mismatch_id}",
        "request": step,
        "observed": {"legacy": legacy, "new": new, "differences": differences},
    }


def export_case(database_url: str, mismatch_id: int, out_dir: Path, auth: str | None) -> Path:
    route, request, legacy, new, differences = fetch_mismatch(database_url, mismatch_id)
    case = case_from_row(mismatch_id, route, request, legacy, new, differences, auth)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{case['id']}.json"
    path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

"""How the port puts JSON and timestamps on the wire, byte for byte as the contract says.

Example:
    >>> render_json({"b": 1, "a": "é"})
    '{"a":"\\\\u00e9","b":1}\\n'
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from fastapi_app.errors import ApiError

JSON_MEDIA_TYPE = "application/json"


def render_json(obj: Any) -> str:
    """Flask's production ``jsonify`` rendering: sorted keys, compact, ASCII, newline."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"


def raw_json_response(
    body: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body.encode("ascii"), status, headers, media_type=JSON_MEDIA_TYPE)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return raw_json_response(render_json(obj), status, headers)


def error_response(error: ApiError) -> Response:
    return json_response(error.payload(), error.status, error.headers())


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """The inverse of ``format_timestamp``; ValueError on anything else."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

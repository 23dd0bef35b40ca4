"""How the legacy app puts JSON and timestamps on the wire, byte for byte as the contract says.

Example:
    >>> render_json({"b": 1, "a": "é"})
    '{"a":"\\\\u00e9","b":1}\\n'
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response

JSON_MIMETYPE = "application/json"


def render_json(obj: Any) -> str:
    """Flask's production ``jsonify`` rendering: sorted keys, compact, ASCII, newline."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return raw_json_response(render_json(obj), status, headers)


def raw_json_response(body: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=status, mimetype=JSON_MIMETYPE, headers=headers)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """The inverse of ``format_timestamp``; ValueError on anything else."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)

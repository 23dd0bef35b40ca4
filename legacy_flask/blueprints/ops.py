"""Operational probes: ``GET /healthz`` (process up) and ``GET /readyz`` (database answers).

Example:
    >>> blueprint.name
    'ops'
"""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from legacy_flask.db import current_database
from legacy_flask.wire import json_response

blueprint = Blueprint("ops", __name__)

READY_TIMEOUT = text("SET LOCAL statement_timeout = '2s'")


@blueprint.get("/healthz")
def healthz() -> Response:
    return json_response({"status": "ok"})


@blueprint.get("/readyz")
def readyz() -> Response:
    try:
        with current_database().engine.begin() as connection:
            connection.execute(READY_TIMEOUT)
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return json_response({"status": "unavailable"}, 503)
    return json_response({"status": "ready"})

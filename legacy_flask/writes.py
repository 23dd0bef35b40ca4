"""The pipeline every write endpoint runs through, in the contract's order of checks.

``@idempotent_write(schema)`` wraps a view that takes the validated body and returns
``(object, status)``: Idempotency-Key check, body validation, claim (or replay), the work
and its stored answer in one transaction. Business errors roll the work back and store
their answer; unexpected errors store a 500 in a new transaction.

Example:
    >>> callable(idempotent_write(()))
    True
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, request

from legacy_flask import idempotency
from legacy_flask.auth import current_caller
from legacy_flask.db import request_session
from legacy_flask.errors import ApiError, InternalError
from legacy_flask.validation import BodyCheck, Field, validate_body
from legacy_flask.wire import raw_json_response, render_json

Answer = tuple[dict[str, Any], int]
WriteView = Callable[..., Answer]

log = logging.getLogger(__name__)


def idempotent_write(
    schema: Sequence[Field], *checks: BodyCheck
) -> Callable[[WriteView], Callable[..., Response]]:
    def decorate(view: WriteView) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**path: Any) -> Response:
            key = idempotency.check_key(request.headers.get(idempotency.HEADER))
            body = validate_body(request.get_data(), schema, *checks)
            owner = current_caller().owner
            print_ = idempotency.fingerprint(request.method, request.path, body)
            replay = idempotency.claim(owner, key, print_)
            if replay is not None:
                return raw_json_response(
                    replay.body, replay.status, {"Idempotent-Replayed": "true"}
                )
            return _run_claimed(view, body, path, owner, key)

        return wrapper

    return decorate


def _run_claimed(
    view: WriteView, body: dict[str, Any], path: dict[str, Any], owner: str, key: str
) -> Response:
    session = request_session()
    try:
        try:
            obj, status = view(body, **path)
            text = render_json(obj)
        except ApiError as exc:
            session.rollback()
            status, text = exc.status, render_json(exc.payload())
        idempotency.record(session, owner, key, status, text)
        session.commit()
    except Exception:
        session.rollback()
        log.exception("write failed: %s %s", request.method, request.path)
        failure = InternalError()
        text = render_json(failure.payload())
        idempotency.record_failure(owner, key, failure.status, text)
        return raw_json_response(text, failure.status)
    return raw_json_response(text, status)

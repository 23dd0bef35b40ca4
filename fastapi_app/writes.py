"""The life of a write request, in the contract's order of checks.

body (413) → credentials (401) → Idempotency-Key (400) → body fields (400) → claim
(replay / 422 / 409) → the work and its stored answer in one transaction (retried as a
whole on 40001/40P01) → cache invalidation after the commit.

Business refusals (404, 403, 409, 422) roll the work back to a savepoint and store the
refusal in the same transaction, so a retry of the request replays it. An unexpected
error stores the 500 in a transaction of its own. Conflicts that outlast the retries
release the claim and answer 503 + Retry-After, so the client's retry runs the work.

A sandboxed request (``X-Strangler-Sandbox: 1``) claims, works and stores exactly the
same way in one transaction, which is then rolled back: nothing persists.

Example:
    >>> WorkResult({"id": 1}, ("account:1",)).cache_keys
    ('account:1',)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from fastapi_app import idempotency
from fastapi_app.auth import authenticate
from fastapi_app.database import Connection, Database
from fastapi_app.errors import ApiError, InternalError, RetriesExhausted, ServiceUnavailable
from fastapi_app.idempotency import REPLAY_HEADER, Claim, Fingerprint, StoredAnswer
from fastapi_app.request_body import app_path, is_sandboxed, read_capped_body
from fastapi_app.services import Services, services_of
from fastapi_app.transactions import run_transaction
from fastapi_app.validation import BodySpec, CrossCheck, idempotency_key, validate_body
from fastapi_app.wire import error_response, raw_json_response, render_json

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WorkResult:
    body: dict[str, Any]
    cache_keys: tuple[str, ...] = ()


Work = Callable[[Connection, Database, str, dict[str, Any]], Awaitable[WorkResult]]


@dataclass(frozen=True)
class WriteEndpoint:
    spec: BodySpec
    work: Work
    success_status: int
    cross_checks: Sequence[CrossCheck] = field(default_factory=tuple)


@dataclass(frozen=True)
class Outcome:
    answer: StoredAnswer
    cache_keys: tuple[str, ...]


async def handle_write(request: Request, endpoint: WriteEndpoint) -> Response:
    services = services_of(request)
    raw = await read_capped_body(request)
    principal = await authenticate(request, services.database, services.api_keys, services.cookies)
    key = idempotency_key(request.headers.get("idempotency-key"))
    body = validate_body(endpoint.spec, raw, endpoint.cross_checks)
    fingerprint = Fingerprint.of(request.method, app_path(request.scope), body)
    claim = Claim(principal.owner, key, fingerprint)
    if is_sandboxed(request):
        return await _sandboxed(services, claim, endpoint, body)
    stored = await idempotency.claim(services.database, claim)
    if stored is not None:
        return _replay(stored)
    return await _perform(services, claim, endpoint, body)


def _replay(stored: StoredAnswer) -> Response:
    return raw_json_response(stored.body, stored.status, {REPLAY_HEADER: "true"})


def _attempt(
    services: Services, claim: Claim, endpoint: WriteEndpoint, body: dict[str, Any]
) -> Callable[[Connection], Awaitable[Outcome]]:
    database = services.database

    async def attempt(conn: Connection) -> Outcome:
        try:
            async with conn.transaction():  # a savepoint: a refusal undoes only the work
                result = await endpoint.work(conn, database, claim.owner, body)
            outcome = Outcome(
                StoredAnswer(endpoint.success_status, render_json(result.body)), result.cache_keys
            )
        except ApiError as refusal:
            outcome = Outcome(StoredAnswer(refusal.status, render_json(refusal.payload())), ())
        await idempotency.store_answer(conn, database, claim, outcome.answer)
        return outcome

    return attempt


async def _perform(
    services: Services, claim: Claim, endpoint: WriteEndpoint, body: dict[str, Any]
) -> Response:
    attempt = _attempt(services, claim, endpoint, body)
    try:
        outcome = await run_transaction(services.database, attempt, services.retry)
    except RetriesExhausted as exc:
        log.warning("write_conflicts_exhausted", attempts=exc.attempts)
        await idempotency.release(services.database, claim)
        return error_response(ServiceUnavailable())
    except Exception:
        log.exception("write_failed", path=claim.fingerprint.path)
        failure = InternalError()
        answer = StoredAnswer(failure.status, render_json(failure.payload()))
        await idempotency.store_answer_alone(services.database, claim, answer)
        return raw_json_response(answer.body, answer.status)
    await services.cache.invalidate(outcome.cache_keys)
    return raw_json_response(outcome.answer.body, outcome.answer.status)


async def _sandboxed(
    services: Services, claim: Claim, endpoint: WriteEndpoint, body: dict[str, Any]
) -> Response:
    attempt = _attempt(services, claim, endpoint, body)
    database = services.database

    async def claim_then_attempt(conn: Connection) -> Outcome | StoredAnswer:
        stored = await idempotency.claim_on(conn, database, claim)
        return stored if stored is not None else await attempt(conn)

    try:
        result = await run_transaction(database, claim_then_attempt, services.retry, sandbox=True)
    except RetriesExhausted:
        return error_response(ServiceUnavailable())
    if isinstance(result, StoredAnswer):
        return _replay(result)
    return raw_json_response(result.answer.body, result.answer.status)

"""Idempotency keys, shared with the ported app through one table (``idempotency_keys``).

The flow of a write: ``check_key`` (400s), body validation, ``claim`` in its own committed
transaction (a replay, 422 reused, 409 in use, or the go-ahead), the work, then
``record`` in the work's own transaction. After an unexpected failure the 500 answer is
stored by ``record_failure`` in a new transaction, so a retry replays it. Rows older than
24 h are expired: deleted and the claim retried.

Example:
    >>> fingerprint("POST", "/api/v1/payments", {"b": 1, "a": "é"}).body_hash[:12]
    'aa58fba84836'
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from legacy_flask.db import own_transaction
from legacy_flask.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    InvalidRequest,
)
from legacy_flask.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
EXPIRY = text("now() - interval '24 hours'")
CLAIM_ATTEMPTS = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fingerprint:
    method: str
    path: str
    body_hash: str


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


def check_key(value: str | None) -> str:
    if value is None:
        raise IdempotencyKeyMissing()
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in value):
        raise InvalidRequest({HEADER: "must be 1 to 255 printable ASCII characters"})
    return value


def fingerprint(method: str, path: str, body: dict[str, Any]) -> Fingerprint:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Fingerprint(method, path, hashlib.sha256(canonical.encode("utf-8")).hexdigest())


def claim(owner: str, key: str, print_: Fingerprint) -> Replay | None:
    """None when this request owns the key now; a Replay of a finished one; else raise."""
    for _attempt in range(CLAIM_ATTEMPTS):
        with own_transaction() as session:
            if _insert(session, owner, key, print_):
                return None
            row = session.get(IdempotencyKey, (owner, key))
            if row is None:
                continue
            if _is_expired(session, owner, key):
                continue
            return _answer_for(row, print_)
    raise IdempotencyKeyInUse()


def _insert(session: Session, owner: str, key: str, print_: Fingerprint) -> bool:
    statement = (
        insert(IdempotencyKey)
        .values(
            owner=owner,
            key=key,
            method=print_.method,
            path=print_.path,
            body_hash=print_.body_hash,
        )
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(IdempotencyKey.key)
    )
    return session.execute(statement).first() is not None


def _is_expired(session: Session, owner: str, key: str) -> bool:
    deleted = session.execute(
        delete(IdempotencyKey)
        .where(
            IdempotencyKey.owner == owner,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at < EXPIRY,
        )
        .returning(IdempotencyKey.key)
    )
    return deleted.first() is not None


def _answer_for(row: IdempotencyKey, print_: Fingerprint) -> Replay:
    if (row.method, row.path, row.body_hash) != (
        print_.method,
        print_.path,
        print_.body_hash,
    ):
        raise IdempotencyKeyReused()
    if row.response_status is None or row.response_body is None:
        raise IdempotencyKeyInUse()
    return Replay(row.response_status, row.response_body)


def record(session: Session, owner: str, key: str, status: int, body: str) -> None:
    """Store the answer inside the caller's (the work's) transaction; the caller commits."""
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        .values(response_status=status, response_body=body, completed_at=func.now())
    )


def record_failure(owner: str, key: str, status: int, body: str) -> None:
    """Store a failure's answer in a new transaction; a lost store only means a re-run."""
    try:
        with own_transaction() as session:
            record(session, owner, key, status, body)
    except SQLAlchemyError:
        log.warning("could not store the failed answer of an idempotent request")

"""The shared ``idempotency_keys`` algorithm, identical to the legacy app's.

1. ``claim()`` in its own committed transaction: insert ``(owner, key)`` with the request's
   fingerprint, or find the row already there (an expired row, older than 24 h, is
   deleted and the claim retried).
2. An existing row answers for the request: other fingerprint → 422 reused; no stored
   answer yet → 409 in use; else the stored answer, replayed byte for byte.
3. ``store_answer()`` runs inside the work's transaction, so the answer commits with it.

Example:
    >>> Fingerprint.of("POST", "/api/v1/payments", {"b": 1, "a": "é"}).body_hash[:12]
    'aa58fba84836'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import structlog

from fastapi_app.database import Connection, Database, PostgresError
from fastapi_app.errors import IdempotencyKeyInUse, IdempotencyKeyReused

REPLAY_HEADER = "Idempotent-Replayed"
log = structlog.get_logger(__name__)
INSERT_CLAIM = (
    "INSERT INTO idempotency_keys (owner, key, method, path, body_hash) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner, key) DO NOTHING RETURNING owner"
)
SELECT_CLAIM = (
    "SELECT method, path, body_hash, response_status, response_body, "
    "created_at < now() - interval '24 hours' AS expired "
    "FROM idempotency_keys WHERE owner = $1 AND key = $2"
)
DELETE_EXPIRED = (
    "DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 "
    "AND created_at < now() - interval '24 hours'"
)
STORE_ANSWER = (
    "UPDATE idempotency_keys SET response_status = $3, response_body = $4, "
    "completed_at = now() WHERE owner = $1 AND key = $2"
)
RELEASE_CLAIM = (
    "DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND response_status IS NULL"
)


@dataclass(frozen=True)
class Fingerprint:
    method: str
    path: str
    body_hash: str

    @classmethod
    def of(cls, method: str, path: str, body: dict[str, Any]) -> Fingerprint:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        # surrogatepass: a lone surrogate from JSON must not turn a hash into a 500
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return cls(method, path, digest)


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: str


@dataclass(frozen=True)
class Claim:
    owner: str
    key: str
    fingerprint: Fingerprint


async def claim_on(conn: Connection, database: Database, claim: Claim) -> StoredAnswer | None:
    """Claim the key on ``conn``; None when it is ours, the stored answer when replaying."""
    fingerprint = claim.fingerprint
    for _ in range(2):
        inserted = await database.fetchrow_on(
            conn,
            INSERT_CLAIM,
            claim.owner,
            claim.key,
            fingerprint.method,
            fingerprint.path,
            fingerprint.body_hash,
        )
        if inserted is not None:
            return None
        row = await database.fetchrow_on(conn, SELECT_CLAIM, claim.owner, claim.key)
        if row is None:
            continue
        if row["expired"]:
            await database.execute_on(conn, DELETE_EXPIRED, claim.owner, claim.key)
            continue
        return _existing_answer(row, fingerprint)
    raise IdempotencyKeyInUse()


def _existing_answer(row: Any, fingerprint: Fingerprint) -> StoredAnswer:
    stored = Fingerprint(row["method"], row["path"], row["body_hash"])
    if stored != fingerprint:
        raise IdempotencyKeyReused()
    if row["response_status"] is None:
        raise IdempotencyKeyInUse()
    return StoredAnswer(row["response_status"], row["response_body"])


async def claim(database: Database, claim: Claim) -> StoredAnswer | None:
    """``claim_on`` in its own committed transaction."""
    async with database.connection() as conn, conn.transaction():
        return await claim_on(conn, database, claim)


async def store_answer(
    conn: Connection, database: Database, claim: Claim, answer: StoredAnswer
) -> None:
    await database.execute_on(
        conn, STORE_ANSWER, claim.owner, claim.key, answer.status, answer.body
    )


async def store_answer_alone(database: Database, claim: Claim, answer: StoredAnswer) -> None:
    """Store an answer in a transaction of its own; losing it only means a re-run."""
    try:
        async with database.connection() as conn, conn.transaction():
            await store_answer(conn, database, claim, answer)
    except (PostgresError, OSError) as exc:
        log.warning("idempotent_answer_not_stored", error=type(exc).__name__)


async def release(database: Database, claim: Claim) -> None:
    """Forget an unanswered claim so the client's retry runs the work again."""
    async with database.connection() as conn:
        await database.execute_on(conn, RELEASE_CLAIM, claim.owner, claim.key)

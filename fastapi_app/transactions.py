"""One transaction per write, re-run as a whole on serialization failures and deadlocks.

SQLSTATE 40001 (serialization_failure) and 40P01 (deadlock_detected) mean "nothing was
committed, try again": the whole unit of work runs again after a jittered exponential
backoff (full jitter, capped). Any other error is not retried. When the attempts run out
the caller gets ``RetriesExhausted``, which the API answers as 503 with Retry-After.

A sandboxed unit (the router's shadow copy of a write) runs the same way and is rolled
back instead of committed.

Example:
    >>> backoff_delays(RetryPolicy(max_attempts=3, base_seconds=0.01, cap_seconds=1.0))
    [0.01, 0.02]
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from fastapi_app.database import Connection, Database, PostgresError, sqlstate_of
from fastapi_app.errors import RetriesExhausted

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 0.01
    cap_seconds: float = 0.25


def backoff_delays(policy: RetryPolicy) -> list[float]:
    """The upper bounds of the waits between attempts (each wait is uniform in [0, bound])."""
    return [
        min(policy.cap_seconds, policy.base_seconds * 2**attempt)
        for attempt in range(policy.max_attempts - 1)
    ]


def is_retryable(exc: BaseException) -> bool:
    return sqlstate_of(exc) in RETRYABLE_SQLSTATES


class _Rollback(Exception):
    """Raised inside a sandboxed transaction to roll it back after the work succeeded."""


async def _run_once(
    database: Database, work: Callable[[Connection], Awaitable[T]], sandbox: bool
) -> T:
    async with database.connection() as conn:
        result: T
        try:
            async with conn.transaction():
                result = await work(conn)
                if sandbox:
                    raise _Rollback
        except _Rollback:
            pass
        return result


async def run_transaction(
    database: Database,
    work: Callable[[Connection], Awaitable[T]],
    policy: RetryPolicy,
    sandbox: bool = False,
) -> T:
    """Run ``work`` in one transaction, re-running it on 40001/40P01 with backoff."""
    delays = backoff_delays(policy)
    for attempt in range(policy.max_attempts):
        try:
            return await _run_once(database, work, sandbox)
        except PostgresError as exc:
            if not is_retryable(exc):
                raise
            log.info("transaction_conflict", sqlstate=sqlstate_of(exc), attempt=attempt + 1)
            if attempt < len(delays):
                await asyncio.sleep(random.uniform(0, delays[attempt]))
    raise RetriesExhausted(policy.max_attempts)

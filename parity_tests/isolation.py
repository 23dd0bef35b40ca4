"""Each implementation in its own outer transaction, each case in a savepoint, rolled back.

``LegacyIsolation`` binds a Flask app's SQLAlchemy ``sessionmaker`` to one connection
held in an outer transaction, with ``join_transaction_mode="create_savepoint"``: every
session the app opens (the request's and the idempotency claim's) becomes a savepoint.
A session that commits on its own (the claim) also commits the request session's reads so
far, so the claim survives the request's later rollback exactly as it does in production.

``PortIsolation`` swaps an asyncpg pool for one connection held in a transaction; the
app's ``conn.transaction()`` blocks then become savepoints (asyncpg nests them itself).

Both locate the app's handles by attribute paths, so any Flask/FastAPI pair built the
same way plugs in. Every case runs between ``begin_case`` and ``end_case``; nothing the
case did, including the change log, outlives ``end_case``.

Example:
    >>> resolve(type("A", (), {"x": type("B", (), {"y": 3})}), "x.y")
    3
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from parity_tests.capture import (
    CAPTURE_OFF,
    CAPTURE_ON,
    READ_LOG,
    RowChange,
    TableKeys,
    transplant_sql,
)
from parity_tests.errors import IsolationError, Retryable

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def resolve(root: Any, path: str) -> Any:
    """``resolve(app, "extensions.legacy_db.factory")``: attributes, then mapping keys."""
    value = root
    for name in path.split("."):
        value = value[name] if isinstance(value, dict) else getattr(value, name)
    return value


def _assign(root: Any, path: str, new: Any) -> Any:
    parent_path, _, name = path.rpartition(".")
    parent = resolve(root, parent_path) if parent_path else root
    old = getattr(parent, name)
    setattr(parent, name, new)
    return old


class Isolation(Protocol):
    async def begin_case(self, setup: Iterable[str]) -> None: ...
    async def changes(self, keys: TableKeys) -> list[RowChange]: ...
    async def apply(self, changes: Iterable[RowChange], keys: TableKeys) -> None: ...
    async def end_case(self) -> None: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class LegacyBinding:
    """Where a Flask app keeps its sessionmaker and its request-scoped session."""

    factory: str = "extensions.legacy_db.factory"
    scoped: str = "extensions.legacy_db.sessions"
    engine: str = "extensions.legacy_db.engine"


class LegacyIsolation:
    def __init__(self, app: Any, binding: LegacyBinding = LegacyBinding()) -> None:
        self._factory = resolve(app, binding.factory)
        self._scoped = resolve(app, binding.scoped)
        self._conn = resolve(app, binding.engine).connect()
        self._outer = self._conn.begin()
        self._savepoint: Any = None
        self._original_bind = self._factory.kw.get("bind")
        self._conn.exec_driver_sql(CAPTURE_ON)
        self._factory.configure(bind=self._conn, join_transaction_mode="create_savepoint")
        event.listen(self._factory, "after_commit", self._promote_request_session)

    def _promote_request_session(self, committed: Session) -> None:
        # In production a claim commits on its own connection; here it is a savepoint
        # nested in the request session's, so end that one too, or a refusal's rollback
        # would take the claim with it.
        registry = self._scoped.registry
        if registry.has() and registry() is not committed and registry().in_transaction():
            registry().commit()

    async def begin_case(self, setup: Iterable[str]) -> None:
        self._savepoint = self._conn.begin_nested()
        self._run_uncaptured(setup)

    def _run_uncaptured(self, statements: Iterable[str]) -> None:
        # Setup is the same on both sides by construction: only the case's own effects count.
        statements = list(statements)
        if statements:
            self._run(CAPTURE_OFF)
            for statement in statements:
                self._run(statement)
            self._run(CAPTURE_ON)

    async def changes(self, keys: TableKeys) -> list[RowChange]:
        from parity_tests.capture import net_changes

        rows = self._run(READ_LOG).fetchall()
        return net_changes([tuple(row) for row in rows], keys)

    async def apply(self, changes: Iterable[RowChange], keys: TableKeys) -> None:
        for change in changes:
            sql, row = transplant_sql(change, keys)
            self._run(sql.replace("{param}", "%(row)s"), {"row": json.dumps(row)})

    async def end_case(self) -> None:
        self._scoped.remove()
        if self._savepoint is not None and self._savepoint.is_active:
            self._savepoint.rollback()
        self._savepoint = None

    async def close(self) -> None:
        event.remove(self._factory, "after_commit", self._promote_request_session)
        self._scoped.remove()
        self._factory.configure(
            bind=self._original_bind, join_transaction_mode="conservative_savepoint"
        )
        self._outer.rollback()
        self._conn.close()

    def _run(self, sql: str, params: Any = None) -> Any:
        try:
            return (
                self._conn.exec_driver_sql(sql, params)
                if params
                else self._conn.exec_driver_sql(sql)
            )
        except DBAPIError as exc:
            raise _translated(getattr(exc.orig, "pgcode", None), exc) from exc


class Borrowed:
    """The held connection as the app sees it. An app may terminate or close a connection
    after a failure so its pool opens a fresh one; here that would end the outer
    transaction and every later case, so both are no-ops. A connection really left broken
    fails the harness's next statement, and that case reports an error."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def terminate(self) -> None:
        return None

    async def close(self, *_: Any, **__: Any) -> None:
        return None


class PinnedPool:
    """Stands in for an asyncpg pool: every ``acquire()`` yields the one held connection."""

    def __init__(self, conn: Any) -> None:
        self._conn = Borrowed(conn)

    @asynccontextmanager
    async def acquire(self, *_: Any, **__: Any) -> AsyncIterator[Any]:
        yield self._conn

    async def close(self) -> None:
        return None


class PortIsolation:
    """The asyncpg side; ``open`` starts the outer transaction and pins the app's pool."""

    def __init__(self, root: Any, pool_path: str, conn: Any, outer: Any) -> None:
        self._root, self._pool_path, self._conn, self._outer = root, pool_path, conn, outer
        self._savepoint: Any = None
        self._original = _assign(root, pool_path, PinnedPool(conn))

    @classmethod
    async def open(cls, root: Any, database_url: str, pool_path: str) -> PortIsolation:
        try:
            conn = await asyncpg.connect(database_url)
            outer = conn.transaction()
            await outer.start()
            await conn.execute(CAPTURE_ON)
        except (OSError, asyncpg.PostgresError) as exc:
            raise IsolationError(f"could not open the port's outer transaction: {exc}") from exc
        return cls(root, pool_path, conn, outer)

    async def begin_case(self, setup: Iterable[str]) -> None:
        self._savepoint = self._conn.transaction()
        await self._savepoint.start()
        statements = list(setup)
        if statements:
            await self._run(CAPTURE_OFF)
            for statement in statements:
                await self._run(statement)
            await self._run(CAPTURE_ON)

    async def changes(self, keys: TableKeys) -> list[RowChange]:
        from parity_tests.capture import net_changes

        rows = await self._conn.fetch(READ_LOG)
        log = [(r[0], r[1], _json(r[2]), _json(r[3])) for r in rows]
        return net_changes(log, keys)

    async def apply(self, changes: Iterable[RowChange], keys: TableKeys) -> None:
        for change in changes:
            sql, row = transplant_sql(change, keys)
            await self._run(sql.replace("{param}", "$1"), json.dumps(row))

    async def end_case(self) -> None:
        if self._savepoint is not None:
            await self._savepoint.rollback()
        self._savepoint = None

    async def close(self) -> None:
        _assign(self._root, self._pool_path, self._original)
        try:
            await self._outer.rollback()
        finally:
            await self._conn.close()

    async def _run(self, sql: str, *args: Any) -> Any:
        try:
            return await self._conn.execute(sql, *args)
        except asyncpg.PostgresError as exc:
            raise _translated(getattr(exc, "sqlstate", None), exc) from exc


def _translated(sqlstate: str | None, exc: Exception) -> IsolationError:
    if sqlstate in RETRYABLE_SQLSTATES:
        return Retryable(sqlstate)
    return IsolationError(f"harness statement failed (SQLSTATE {sqlstate}): {exc}")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value

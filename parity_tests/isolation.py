"""Each implementation in its own outer transaction, each case in a savepoint, rolled back.

The harness holds one connection per side in an outer transaction and points the app's
database handle at it (``parity_tests.stacks`` says where each stack keeps that handle):

- ``LegacyIsolation`` (Flask-SQLAlchemy, or a plain ``sessionmaker``): sessions join the
  held connection with ``join_transaction_mode="create_savepoint"``, so every session the
  app opens (a request's, an idempotency claim's) becomes a savepoint. A session that
  commits on its own (the claim) also commits the request session's reads so far, so the
  claim survives the request's later rollback exactly as it does in production.
- ``AsyncSessionIsolation`` (SQLAlchemy 2 ``async_sessionmaker``): the same, asynchronously.
- ``PoolIsolation`` (an asyncpg pool): every ``acquire()`` yields the held connection; the
  app's ``conn.transaction()`` blocks then become savepoints (asyncpg nests them itself).

Every case runs between ``begin_case`` and ``end_case``; nothing the case did, including
the change log, outlives ``end_case``.

Example:
    >>> from parity_tests.stacks import parse_stack, NEW_STACKS
    >>> parse_stack("asyncpg_pool:state.pool", NEW_STACKS).kind
    'asyncpg_pool'
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from parity_tests.capture import (
    CAPTURE_ON,
    READ_LOG,
    RowChange,
    TableKeys,
    net_changes,
    transplant_sql,
    uncaptured,
)
from parity_tests.errors import IsolationError, Retryable
from parity_tests.stacks import Stack, locate, replace

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


class Isolation(Protocol):
    async def begin_case(self, setup: Iterable[str]) -> None: ...
    async def changes(self, keys: TableKeys) -> list[RowChange]: ...
    async def apply(self, changes: Iterable[RowChange], keys: TableKeys) -> None: ...
    async def end_case(self) -> None: ...
    async def close(self) -> None: ...


class LegacyHandles:
    """A Flask app's sessionmaker, its request-scoped sessions and engine, and how to point
    them at the held connection and back."""

    def __init__(self, factory: Any, scoped: Any, engine: Any) -> None:
        self.factory, self.scoped, self.engine = factory, scoped, engine
        self._original_bind = factory.kw.get("bind")

    def pin(self, conn: Connection) -> None:
        self.factory.configure(bind=conn, join_transaction_mode="create_savepoint")

    def unpin(self) -> None:
        self.factory.configure(
            bind=self._original_bind, join_transaction_mode="conservative_savepoint"
        )

    def remove_sessions(self) -> None:
        if self.scoped is not None:
            self.scoped.remove()

    def request_session(self) -> Session | None:
        """The request's session (outside one: None), from the scoped registry."""
        if self.scoped is None or not self.scoped.registry.has():
            return None
        found: Session = self.scoped.registry()
        return found


class FlaskSQLAlchemyHandles(LegacyHandles):
    """Flask-SQLAlchemy picks its engine per query from ``db.engines`` (ignoring a session's
    own bind), so the held connection goes there; its ``db.session`` is scoped to the app
    context, which ends with each request and removes the session itself."""

    def __init__(self, app: Any) -> None:
        db = app.extensions.get("sqlalchemy")
        if db is None:
            raise IsolationError("flask_sqlalchemy: the legacy app has no Flask-SQLAlchemy db")
        with app.app_context():
            self._engines = db.engines
            super().__init__(db.session.session_factory, db.session, self._engines[None])

    def pin(self, conn: Connection) -> None:
        self._engines[None] = conn
        self.factory.configure(join_transaction_mode="create_savepoint")

    def unpin(self) -> None:
        self._engines[None] = self.engine
        self.factory.configure(join_transaction_mode="conservative_savepoint")

    def remove_sessions(self) -> None:
        return None

    def request_session(self) -> Session | None:
        try:
            return super().request_session()
        except RuntimeError:  # no app context: no request session
            return None


def legacy_handles(app: Any, stack: Stack) -> LegacyHandles:
    if stack.kind == "flask_sqlalchemy":
        return FlaskSQLAlchemyHandles(app)
    found = locate(app, stack.where)
    scoped = found if isinstance(found, scoped_session) else None
    factory = scoped.session_factory if scoped is not None else found
    if not isinstance(factory, sessionmaker):
        raise IsolationError(f"{stack.where!r} is not a sessionmaker nor a scoped_session")
    engine = factory.kw.get("bind")
    if not isinstance(engine, Engine):
        raise IsolationError(f"{stack.where!r}: its sessionmaker is not bound to an engine")
    return LegacyHandles(factory, scoped, engine)


class LegacyIsolation:
    def __init__(self, app: Any, stack: Stack) -> None:
        self._handles = legacy_handles(app, stack)
        self._factory = self._handles.factory
        self._conn = self._handles.engine.connect()
        self._outer = self._conn.begin()
        self._savepoint: Any = None
        self._conn.exec_driver_sql(CAPTURE_ON)
        self._handles.pin(self._conn)
        event.listen(self._factory, "after_commit", self._promote_request_session)

    def _promote_request_session(self, committed: Session) -> None:
        # In production a claim commits on its own connection; here it is a savepoint
        # nested in the request session's, so end that one too, or a refusal's rollback
        # would take the claim with it.
        request = self._handles.request_session()
        if request is not None and request is not committed and request.in_transaction():
            request.commit()

    async def begin_case(self, setup: Iterable[str]) -> None:
        self._savepoint = self._conn.begin_nested()
        for statement in uncaptured(setup):
            self._run(statement)

    async def changes(self, keys: TableKeys) -> list[RowChange]:
        rows = self._run(READ_LOG).fetchall()
        return net_changes([tuple(row) for row in rows], keys)

    async def apply(self, changes: Iterable[RowChange], keys: TableKeys) -> None:
        for change in changes:
            sql, row = transplant_sql(change, keys)
            self._run(sql.replace("{param}", "%(row)s"), {"row": json.dumps(row)})

    async def end_case(self) -> None:
        self._handles.remove_sessions()
        if self._savepoint is not None and self._savepoint.is_active:
            self._savepoint.rollback()
        self._savepoint = None

    async def close(self) -> None:
        event.remove(self._factory, "after_commit", self._promote_request_session)
        self._handles.remove_sessions()
        self._handles.unpin()
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
            raise _translated(_sqlstate(exc), exc) from exc


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


async def open_new_isolation(root: Any, database_url: str, stack: Stack) -> Isolation:
    """The new app's side, held per its stack (``root``: where attribute paths start)."""
    if stack.kind == "sqlalchemy_async":
        return await AsyncSessionIsolation.open(root, stack.where)
    return await PoolIsolation.open(root, database_url, stack.where)


class PoolIsolation:
    """The asyncpg side; ``open`` starts the outer transaction and pins the app's pool."""

    def __init__(self, root: Any, where: str, conn: Any, outer: Any) -> None:
        self._root, self._where, self._conn, self._outer = root, where, conn, outer
        self._savepoint: Any = None
        locate(root, where)  # a wrong path fails here, naming it, before anything changes
        self._original = replace(root, where, PinnedPool(conn))

    @classmethod
    async def open(cls, root: Any, database_url: str, where: str) -> PoolIsolation:
        try:
            conn = await asyncpg.connect(database_url)
            outer = conn.transaction()
            await outer.start()
            await conn.execute(CAPTURE_ON)
        except (OSError, asyncpg.PostgresError) as exc:
            raise IsolationError(f"could not open the port's outer transaction: {exc}") from exc
        try:
            return cls(root, where, conn, outer)
        except IsolationError:
            await conn.close()
            raise

    async def begin_case(self, setup: Iterable[str]) -> None:
        self._savepoint = self._conn.transaction()
        await self._savepoint.start()
        for statement in uncaptured(setup):
            await self._run(statement)

    async def changes(self, keys: TableKeys) -> list[RowChange]:
        return _net_changes(await self._conn.fetch(READ_LOG), keys)

    async def apply(self, changes: Iterable[RowChange], keys: TableKeys) -> None:
        for change in changes:
            sql, row = transplant_sql(change, keys)
            await self._run(sql.replace("{param}", "$1"), json.dumps(row))

    async def end_case(self) -> None:
        if self._savepoint is not None:
            await self._savepoint.rollback()
        self._savepoint = None

    async def close(self) -> None:
        replace(self._root, self._where, self._original)
        try:
            await self._outer.rollback()
        finally:
            await self._conn.close()

    async def _run(self, sql: str, *args: Any) -> Any:
        try:
            return await self._conn.execute(sql, *args)
        except asyncpg.PostgresError as exc:
            raise _translated(getattr(exc, "sqlstate", None), exc) from exc


class AsyncSessionIsolation:
    """SQLAlchemy 2 async: the app's ``async_sessionmaker`` bound to the held connection;
    its sessions join it with a savepoint each."""

    def __init__(self, factory: Any, engine: AsyncEngine, conn: AsyncConnection) -> None:
        self._factory, self._engine, self._conn = factory, engine, conn
        self._savepoint: Any = None
        factory.configure(bind=conn, join_transaction_mode="create_savepoint")

    @classmethod
    async def open(cls, root: Any, where: str) -> AsyncSessionIsolation:
        factory = locate(root, where)
        if not isinstance(factory, async_sessionmaker):
            raise IsolationError(f"{where!r} is not an async_sessionmaker")
        engine = factory.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise IsolationError(f"{where!r}: its async_sessionmaker is not bound to an engine")
        try:
            conn = await engine.connect()
            await conn.begin()
            await conn.exec_driver_sql(CAPTURE_ON)
        except (OSError, DBAPIError) as exc:
            raise IsolationError(f"could not open the new app's outer transaction: {exc}") from exc
        return cls(factory, engine, conn)

    async def begin_case(self, setup: Iterable[str]) -> None:
        self._savepoint = await self._conn.begin_nested()
        for statement in uncaptured(setup):
            await self._run(statement)

    async def changes(self, keys: TableKeys) -> list[RowChange]:
        return _net_changes((await self._run(READ_LOG)).fetchall(), keys)

    async def apply(self, changes: Iterable[RowChange], keys: TableKeys) -> None:
        for change in changes:
            sql, row = transplant_sql(change, keys)
            try:
                statement = text(sql.replace("{param}", ":row"))
                await self._conn.execute(statement, {"row": json.dumps(row)})
            except DBAPIError as exc:
                raise _translated(_sqlstate(exc), exc) from exc

    async def end_case(self) -> None:
        if self._savepoint is not None and self._savepoint.is_active:
            await self._savepoint.rollback()
        self._savepoint = None

    async def close(self) -> None:
        self._factory.configure(bind=self._engine, join_transaction_mode="conservative_savepoint")
        try:
            await self._conn.rollback()
        finally:
            await self._conn.close()

    async def _run(self, sql: str) -> Any:
        try:
            return await self._conn.exec_driver_sql(sql)
        except DBAPIError as exc:
            raise _translated(_sqlstate(exc), exc) from exc


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _translated(sqlstate: str | None, exc: Exception) -> IsolationError:
    if sqlstate in RETRYABLE_SQLSTATES:
        return Retryable(sqlstate)
    return IsolationError(f"harness statement failed (SQLSTATE {sqlstate}): {exc}")


def _net_changes(rows: Iterable[Any], keys: TableKeys) -> list[RowChange]:
    """The log as an async driver returns it (JSON columns as text) into row changes."""
    return net_changes([(r[0], r[1], _json(r[2]), _json(r[3])) for r in rows], keys)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value

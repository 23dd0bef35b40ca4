"""The port's PostgreSQL access: one asyncpg pool per worker, owned by the app's lifespan.

``Database`` counts the statements it sends (the cache tests and metrics read it) and
hands out connections; transactions and their retries live in ``transactions.py``.
asyncpg ships no type information, so the little of it the port uses is typed here.

Example:
    >>> sqlstate_of(ValueError())
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, cast

import asyncpg  # type: ignore[import-untyped]

from fastapi_app.settings import Settings

READY_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 5.0
# What pg_stat_activity shows for the port's connections (operators and the fault tests
# find the port's backends by it)
APPLICATION_NAME = "strangler-fastapi-app"
# connection exception, operator intervention (admin/crash shutdown, cannot connect now)
SESSION_ENDING_SQLSTATE_CLASSES = ("08", "57")
Record = Mapping[str, Any]
PostgresError: type[Exception] = asyncpg.PostgresError


class Connection(Protocol):
    """The part of ``asyncpg.Connection`` the port uses."""

    async def fetch(self, query: str, *args: Any) -> list[Record]: ...
    async def fetchrow(self, query: str, *args: Any) -> Record | None: ...
    async def fetchval(self, query: str, *args: Any) -> Any: ...
    async def execute(self, query: str, *args: Any) -> str: ...
    def transaction(self) -> AbstractAsyncContextManager[Any]: ...


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error, None for anything else."""
    if isinstance(exc, asyncpg.PostgresError):
        return cast(str | None, exc.sqlstate)
    return None


def reusable_after(exc: BaseException) -> bool:
    """True when a connection is known to be idle and healthy after ``exc``.

    An ordinary PostgreSQL error (a conflict, a constraint) ends with the server ready for
    the next query. Anything else (cancellation on client disconnect, a timeout, a dropped
    socket, the server shutting the session down) may leave an operation pending: asyncpg
    then fails the connection's next user with "cannot switch to state ...; another
    operation is in progress".
    """
    sqlstate = sqlstate_of(exc)
    return sqlstate is not None and not sqlstate.startswith(SESSION_ENDING_SQLSTATE_CLASSES)


async def _keep_session(_: Any) -> None:
    """What a released connection runs besides asyncpg's own rollback: nothing.

    asyncpg's default reset sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` on every release, a round trip that was a seventh of a cached read's time.
    The port never takes advisory locks, opens cursors, listens or SETs a session
    variable, so there is nothing to undo; an open transaction is still rolled back.
    Without that query a broken connection is not noticed on release: ``connection()``
    terminates one after any failure that may have broken it.
    """


class Database:
    """A pool plus a counter of statements sent through it."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.statements = 0

    @classmethod
    async def connect(cls, settings: Settings) -> Database:
        pool = await asyncpg.create_pool(
            settings.database_url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            timeout=CONNECT_TIMEOUT_SECONDS,
            reset=_keep_session,
            server_settings={"application_name": APPLICATION_NAME},
        )
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A pooled connection; one that may be broken never goes back to the pool.

        The release skips asyncpg's reset query (``_keep_session``), and with it the round
        trip that used to find out a connection was dead or mid-operation; so a failure
        that may have left the connection unusable terminates it here instead.
        """
        async with self.pool.acquire() as conn:
            try:
                yield cast(Connection, conn)
            except BaseException as exc:
                if not reusable_after(exc):
                    conn.terminate()
                raise

    async def fetch(self, sql: str, *args: Any) -> list[Record]:
        async with self.connection() as conn:
            return await self.fetch_on(conn, sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Record | None:
        async with self.connection() as conn:
            return await self.fetchrow_on(conn, sql, *args)

    async def fetch_on(self, conn: Connection, sql: str, *args: Any) -> list[Record]:
        self.statements += 1
        return await conn.fetch(sql, *args)

    async def fetchrow_on(self, conn: Connection, sql: str, *args: Any) -> Record | None:
        self.statements += 1
        return await conn.fetchrow(sql, *args)

    async def execute_on(self, conn: Connection, sql: str, *args: Any) -> str:
        self.statements += 1
        return await conn.execute(sql, *args)

    async def is_ready(self) -> bool:
        """True when ``SELECT 1`` answers within two seconds."""
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                async with self.connection() as conn:
                    return bool(await conn.fetchval("SELECT 1") == 1)
        except (TimeoutError, OSError, PostgresError, asyncpg.InterfaceError):
            return False

"""Flags in the apps' own PostgreSQL, pushed to every router process with LISTEN/NOTIFY.

The default provider when no Unleash URL is configured. A background thread holds its
own psycopg2 connection, LISTENs on ``strangler_flags`` and, on every notification (and
after every reconnect, since notifications sent while away are lost), reads the flag
tables whole, compiles a new Snapshot and swaps it in with one attribute assignment. The
request path only reads that attribute: it never raises, never blocks, never touches the
database.

When the database is down at boot the bootstrap file serves (else all-legacy); when it
goes away mid-run the last snapshot stays and the thread reconnects with exponential
backoff. ``EmbeddedFlagStore`` is the write side the CLI uses.

Example:
    >>> provider = EmbeddedProvider("postgresql://postgres@127.0.0.1:5432/test")
    >>> provider.start()  # doctest: +SKIP
    >>> provider.snapshot().flag_for("GET /api/v1/me").mode  # doctest: +SKIP
    <Mode.LEGACY: 'legacy'>
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg2
import psycopg2.extensions

from rollout.errors import ProviderError
from rollout.flags.bootstrap import fallback_snapshot
from rollout.flags.pg_flags import (
    NOTIFY_CHANNEL,
    delete_flag,
    read_snapshot,
    write_flag,
    write_kill_switch,
)
from rollout.pg import Lease, first_line
from rollout.types import RouteFlag, Snapshot

log = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection


def connect(database_url: str, connect_timeout: float, purpose: str) -> Connection:
    # Keepalives notice a peer that vanished without closing the socket (a cut network).
    conn = psycopg2.connect(
        database_url,
        connect_timeout=max(1, round(connect_timeout)),
        application_name=f"strangler-flags-{purpose}",
        keepalives=1,
        keepalives_idle=5,
        keepalives_interval=2,
    )
    conn.autocommit = True
    return conn


class EmbeddedProvider:
    def __init__(
        self,
        database_url: str,
        bootstrap: Path | None = None,
        *,
        connect_timeout: float = 2.0,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
        wait_timeout: float = 1.0,
    ) -> None:
        self._url = database_url
        self._bootstrap = bootstrap
        self._connect_timeout = connect_timeout
        self._backoff = (backoff_initial, backoff_max)
        self._wait_timeout = wait_timeout
        self._snapshot = fallback_snapshot(None)
        self._version = 0
        self._stopping = threading.Event()
        self._waker: tuple[int, int] | None = None  # a pipe that interrupts select() on stop
        self._thread: threading.Thread | None = None
        self._state = "stopped"
        self._detail = ""
        self.reloads = 0  # how many times the tables were read; tests watch it

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def start(self) -> None:
        """Loads the flags once (or the fallback) before returning, then listens."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._waker = os.pipe()
        conn = self._try_first_load()
        self._thread = threading.Thread(
            target=self._listen_forever, args=(conn,), name="strangler-flags", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._waker is not None:
            os.write(self._waker[1], b"x")
            self._thread.join(timeout=self._wait_timeout + self._connect_timeout + 1)
            self._thread = None
            for fd in self._waker:
                os.close(fd)
            self._waker = None
        self._state = "stopped"

    def health(self) -> dict[str, str]:
        snapshot = self._snapshot
        return {
            "provider": "embedded",
            "state": self._state,
            "source": snapshot.source,
            "version": str(snapshot.version),
            "detail": self._detail,
        }

    def _try_first_load(self) -> Connection | None:
        try:
            return self._open_and_load()
        except psycopg2.Error as exc:
            self._mark_down(exc)
            self._snapshot = fallback_snapshot(self._bootstrap)
            return None

    def _open_and_load(self) -> Connection:
        conn = connect(self._url, self._connect_timeout, "listener")
        try:
            with conn.cursor() as cur:
                cur.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self._reload(conn)
        except psycopg2.Error:
            conn.close()
            raise
        self._state, self._detail = "ok", ""
        return conn

    def _reload(self, conn: Connection) -> None:
        self._version += 1
        self._snapshot = read_snapshot(conn, source="embedded", version=self._version)
        self.reloads += 1

    def _listen_forever(self, conn: Connection | None) -> None:
        delay = self._backoff[0]
        while not self._stopping.is_set():
            try:
                if conn is None:
                    conn = self._open_and_load()
                    log.info("flag listener reconnected")
                delay = self._backoff[0]
                self._wait_for_changes(conn)
            except psycopg2.Error as exc:
                self._mark_down(exc)
                _close_quietly(conn)
                conn = None
                self._stopping.wait(delay)
                delay = min(delay * 2, self._backoff[1])
        _close_quietly(conn)

    def _wait_for_changes(self, conn: Connection) -> None:
        while not self._stopping.is_set():
            assert self._waker is not None
            socket = conn.fileno()
            readable, _, _ = select.select([socket, self._waker[0]], [], [], self._wait_timeout)
            if socket not in readable:
                continue
            conn.poll()
            if conn.notifies:
                # Several writes coalesce into one reload: the whole state is read anyway.
                conn.notifies.clear()
                self._reload(conn)

    def _mark_down(self, exc: Exception) -> None:
        self._state = "degraded"
        self._detail = f"database unreachable ({type(exc).__name__}); serving last known state"
        log.warning("flag database unreachable: %s", type(exc).__name__)


class EmbeddedFlagStore:
    """Writes flags to the tables; each write notifies every EmbeddedProvider."""

    def __init__(self, database_url: str) -> None:
        self._db = Lease(database_url)

    def close(self) -> None:
        self._db.close()

    def set_flag(self, route_key: str, flag: RouteFlag, actor: str = "cli") -> None:
        self._run(lambda conn: write_flag(conn, route_key, flag, actor))

    def delete_flag(self, route_key: str, actor: str = "cli") -> None:
        self._run(lambda conn: delete_flag(conn, route_key))

    def set_kill_switch(self, enabled: bool, actor: str = "cli") -> None:
        self._run(lambda conn: write_kill_switch(conn, enabled, actor))

    def read_state(self) -> Snapshot:
        result: list[Snapshot] = []
        self._run(lambda conn: result.append(read_snapshot(conn, source="embedded")))
        return result[0]

    def _run(self, action: Callable[[Connection], object]) -> None:
        try:
            with self._db.connection() as conn:
                action(conn)
        except psycopg2.errors.UndefinedTable as exc:
            raise ProviderError("flag tables missing: run `strangler db upgrade`") from exc
        except psycopg2.OperationalError as exc:
            raise ProviderError(f"flag database unreachable: {first_line(exc)}") from exc
        except psycopg2.Error as exc:
            raise ProviderError(f"flag database error: {first_line(exc)}") from exc


def _close_quietly(conn: Connection | None) -> None:
    if conn is not None:
        with contextlib.suppress(psycopg2.Error):
            conn.close()

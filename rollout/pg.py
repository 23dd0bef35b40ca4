"""The one way this process talks to PostgreSQL: a few autocommit psycopg2 connections per
database URL, shared by every store of the router (flags audit, ledger, recorder, owners,
windows (the fleet counters), guard state, dashboard readers), with one reconnect and outage
policy.

- ``shared(url)`` gives the process's ``Database`` for ``url`` (one per URL, counted:
  ``release()`` by the last holder closes it). A store borrows a connection for one
  statement or one transaction (``cursor()``, ``connection()``) and gives it back; the
  connections are opened on first use and at most ``max_idle`` are kept, so a router
  process holds one or two instead of one per store.
- Reconnect: a connection that failed (``OperationalError``, ``InterfaceError``: the
  server went away, a network error) is closed, never lent again; the next borrower opens
  a new one, with ``connect_timeout``. One idle for more than ``PING_AFTER_IDLE`` seconds
  is pinged before it is lent. Nothing else is retried here: each store decides.
- The background loops (windows flush, fleet publish, guard election) log an outage once
  when it starts and once when it ends (``Outage``), never per failed round; a store used
  on a request's behalf raises its own error to that caller.
- A session that must live on its own (LISTEN for the embedded flags) takes
  ``LazyConnection``: one dedicated connection, reopened after a failure.

Example:
    lease = Lease("postgresql://postgres@127.0.0.1:5432/test")  # what a store holds
    with lease.cursor() as cur:
        cur.execute("SELECT 1")
    lease.close()
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

import psycopg2
import psycopg2.extensions

log = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection
# The errors that say the connection itself is unusable (not the statement).
BROKEN = (psycopg2.OperationalError, psycopg2.InterfaceError)
PING_AFTER_IDLE = 5.0  # seconds


class Database:
    """Thread-safe: each borrower has a connection to itself for as long as it holds it."""

    def __init__(
        self,
        url: str,
        application_name: str = "strangler",
        connect_timeout: float = 3,
        max_idle: int = 2,
    ) -> None:
        self.url = url
        self._name = application_name
        self._timeout = connect_timeout
        self._max_idle = max_idle
        self._idle: list[tuple[Connection, float]] = []  # and since when
        self._lock = threading.Lock()
        self._holders = 0

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """An autocommit connection, for one statement or one explicit transaction;
        raises psycopg2.Error (a broken connection is dropped, not given back)."""
        conn = self._borrow()
        try:
            yield conn
        except BROKEN:
            _close_quietly(conn)
            raise
        except BaseException:
            self._give_back(conn)
            raise
        self._give_back(conn)

    @contextlib.contextmanager
    def cursor(self) -> Iterator[psycopg2.extensions.cursor]:
        with self.connection() as conn, conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        """Close the idle connections (borrowed ones close when given back)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            _close_quietly(conn)

    def release(self) -> None:
        """One holder of a ``shared`` database is done with it; the last one closes it."""
        with _REGISTRY_LOCK:
            self._holders -= 1
            if self._holders > 0:
                return
            _REGISTRY.pop((self.url, self._name), None)
        self.close()

    def _borrow(self) -> Connection:
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, since = self._idle.pop()
            if _alive(conn, since):
                return conn
        return _connect(self.url, self._timeout, self._name)

    def _give_back(self, conn: Connection) -> None:
        if conn.closed:
            return
        if conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            try:  # an explicit BEGIN a failed statement left open
                with conn.cursor() as cur:
                    cur.execute("ROLLBACK")
            except psycopg2.Error:
                _close_quietly(conn)
                return
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append((conn, time.monotonic()))
                return
        _close_quietly(conn)


_REGISTRY: dict[tuple[str, str], Database] = {}
_REGISTRY_LOCK = threading.Lock()


def shared(url: str, application_name: str = "strangler") -> Database:
    """This process's ``Database`` for ``url``; call ``release()`` when done with it."""
    with _REGISTRY_LOCK:
        found = _REGISTRY.get((url, application_name))
        if found is None:
            found = _REGISTRY[(url, application_name)] = Database(url, application_name)
        found._holders += 1
        return found


class Lease:
    """A store's hold on the shared ``Database`` of its URL: taken on first use, given back
    by ``close()`` (taken again if the store is used after that)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db: Database | None = None
        self._lock = threading.Lock()

    @property
    def db(self) -> Database:
        with self._lock:
            if self._db is None:
                self._db = shared(self.url)
            return self._db

    def connection(self) -> contextlib.AbstractContextManager[Connection]:
        return self.db.connection()

    def cursor(self) -> contextlib.AbstractContextManager[psycopg2.extensions.cursor]:
        return self.db.cursor()

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.release()


class Outage:
    """Logs an outage of what a background loop does (a flush, a publish, an election)
    once when it starts and once when it ends, never on every failed round."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            log.warning("%s failed: %s", self.what, first_line(exc))
        self.down = True

    def worked(self) -> None:
        if self.down:
            log.info("%s works again", self.what)
        self.down = False


class LazyConnection:
    """One dedicated autocommit connection, opened on first use and reopened after a
    failure: for a session that must stay its own (LISTEN). Not thread-safe: its owner
    serialises use."""

    def __init__(self, url: str, application_name: str, connect_timeout: float = 3) -> None:
        self.url = url  # read at each (re)connect
        self._name = application_name
        self._timeout = connect_timeout
        self._conn: Connection | None = None

    def get(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._conn = _connect(self.url, self._timeout, self._name)
        return self._conn

    def drop(self) -> None:
        """Close it (errors ignored: it may be broken already); the next get() reopens."""
        if self._conn is not None:
            _close_quietly(self._conn)
        self._conn = None


def first_line(exc: BaseException) -> str:
    """An error's first line, for a one-line message that carries no query or payload."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _alive(conn: Connection, idle_since: float) -> bool:
    """A connection idle for a while is pinged first: the server may have ended it (a
    restart, a failover, an idle timeout) without this process noticing."""
    if conn.closed:
        return False
    if time.monotonic() - idle_since < PING_AFTER_IDLE:
        return True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
        return True
    except psycopg2.Error:
        _close_quietly(conn)
        return False


def _connect(url: str, timeout: float, name: str) -> Connection:
    if "connect_timeout" in url:  # the URL's own wins over ours
        conn = psycopg2.connect(url, application_name=name)
    else:
        conn = psycopg2.connect(url, application_name=name, connect_timeout=max(1, round(timeout)))
    conn.autocommit = True
    return conn


def _close_quietly(conn: Connection) -> None:
    with contextlib.suppress(psycopg2.Error):
        conn.close()

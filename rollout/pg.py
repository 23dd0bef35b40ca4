"""One autocommit psycopg2 connection, opened on first use and reopened after a failure:
what the rollout's small stores (windows, fleet counters) each hold.

Example:
    conn = LazyConnection("postgresql://postgres@127.0.0.1:5432/test", "strangler-fleet")
    with conn.get().cursor() as cur:
        cur.execute("SELECT 1")
    conn.drop()
"""

from __future__ import annotations

import contextlib

import psycopg2
import psycopg2.extensions


class LazyConnection:
    """Not thread-safe: its owner serialises use (each store holds a lock)."""

    def __init__(self, url: str, application_name: str, connect_timeout: float = 5) -> None:
        self.url = url  # read at each (re)connect
        self._name = application_name
        self._timeout = connect_timeout
        self._conn: psycopg2.extensions.connection | None = None

    def get(self) -> psycopg2.extensions.connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(
                self.url, connect_timeout=self._timeout, application_name=self._name
            )
            self._conn.autocommit = True
        return self._conn

    def drop(self) -> None:
        """Close it (errors ignored: it may be broken already); the next get() reopens."""
        if self._conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
        self._conn = None


def first_line(exc: Exception) -> str:
    """An error's first line, for a one-line message that carries no query or payload."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

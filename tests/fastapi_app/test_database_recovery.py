"""The port recovers by itself when PostgreSQL drops its connections (A20).

The shared PostgreSQL is never restarted here. The tests terminate the port's own backends
(found by application name, in this session's private database) while reads are in
flight, and make "the database is away" by refusing new connections to that database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psycopg2
from sqlalchemy.engine import make_url

from fastapi_app.database import APPLICATION_NAME
from fastapi_app.settings import Settings
from tests.fastapi_app.conftest import running_port
from tests.fastapi_app.port_client import port_settings

TERMINATE_PORT_BACKENDS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = %s AND pid <> pg_backend_pid() AND application_name = %s"
)
RECOVERY_SECONDS = 2.0


@contextmanager
def _server_admin(database_url: str) -> Iterator[tuple[psycopg2.extensions.cursor, str]]:
    """A cursor on the server's ``postgres`` database, and the name of the test database."""
    url = make_url(database_url)
    admin = psycopg2.connect(url.set(database="postgres").render_as_string(hide_password=False))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            yield cur, str(url.database)
    finally:
        admin.close()


def _terminate_port_backends(database_url: str) -> int:
    with _server_admin(database_url) as (cur, name):
        cur.execute(TERMINATE_PORT_BACKENDS, (name, APPLICATION_NAME))
        row = cur.fetchone()
        return int(row[0]) if row else 0


def _allow_connections(database_url: str, allowed: bool) -> None:
    with _server_admin(database_url) as (cur, name):
        # the session's own database: no other engineer's tests connect to it
        cur.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {allowed}')


@contextmanager
def database_away(database_url: str) -> Iterator[None]:
    """No new connection is accepted and the port's open ones are gone, until exit."""
    _allow_connections(database_url, False)
    try:
        _terminate_port_backends(database_url)
        yield
    finally:
        _allow_connections(database_url, True)


@dataclass(frozen=True)
class Reader:
    client: httpx.AsyncClient
    path: str
    headers: dict[str, str]

    async def statuses(self, n: int) -> list[int]:
        answers = await asyncio.gather(
            *(self.client.get(self.path, headers=self.headers) for _ in range(n))
        )
        return [answer.status_code for answer in answers]

    async def status_of(self, path: str) -> int:
        return (await self.client.get(path)).status_code


async def _until_all_ok(reader: Reader, rounds: int = 10) -> tuple[list[int], float]:
    started = time.monotonic()
    after: list[int] = []
    for _ in range(rounds):
        after += await reader.statuses(20)
    return after, time.monotonic() - started


async def _kill_during_reads(settings: Settings, path: str, headers: dict[str, str]):
    async with running_port(settings) as (_, client):
        reader = Reader(client, path, headers)
        assert set(await reader.statuses(20)) == {200}
        started = time.monotonic()
        in_flight = asyncio.ensure_future(reader.statuses(200))
        await asyncio.sleep(0.005)
        killed = await asyncio.to_thread(_terminate_port_backends, settings.database_url)
        await in_flight
        # the failures are logged: a slow log renderer would stall the worker right here
        through_the_kill = time.monotonic() - started
        after, elapsed = await _until_all_ok(reader)
        probes = (await reader.status_of("/healthz"), await reader.status_of("/readyz"))
        return killed, through_the_kill, after, elapsed, probes


async def _database_away_then_back(settings: Settings, path: str, headers: dict[str, str]):
    async with running_port(settings) as (_, client):
        reader = Reader(client, path, headers)
        assert set(await reader.statuses(20)) == {200}
        with database_away(settings.database_url):
            started = time.monotonic()
            healthz_away = await reader.status_of("/healthz")
            healthz_seconds = time.monotonic() - started
            readyz_away = await reader.status_of("/readyz")
            reads_away = set(await reader.statuses(5))
        after, elapsed = await _until_all_ok(reader)
        probes = (await reader.status_of("/healthz"), await reader.status_of("/readyz"))
        return (healthz_away, healthz_seconds, readyz_away, reads_away), after, elapsed, probes


def _reader_settings(request) -> Settings:
    return port_settings(request.node.nodeid, REDIS_URL="", DB_POOL_MAX_SIZE="5")


def test_reads_recover_when_the_port_backends_are_terminated_mid_request(
    db, make_owner, make_account, request
):
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner, balance=100)}"
    killed, through_the_kill, after, elapsed, probes = asyncio.run(
        _kill_during_reads(_reader_settings(request), path, owner.headers)
    )
    assert killed >= 1
    assert through_the_kill < RECOVERY_SECONDS
    assert set(after) == {200}
    assert elapsed < RECOVERY_SECONDS
    assert probes == (200, 200)


def test_probes_while_the_database_is_away_and_reads_after_it_returns(
    db, make_owner, make_account, request
):
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner, balance=100)}"
    away, after, elapsed, probes = asyncio.run(
        _database_away_then_back(_reader_settings(request), path, owner.headers)
    )
    healthz, healthz_seconds, readyz, reads = away
    assert (healthz, readyz) == (200, 503)
    assert healthz_seconds < 0.5
    assert reads <= {500, 503}
    assert set(after) == {200}
    assert elapsed < RECOVERY_SECONDS
    assert probes == (200, 200)

"""Fleet stores on the real backends: PostgreSQL (``fleet_db``: migration 0004's tables,
emptied per test) and Redis (a key prefix of the test's own, removed after it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import redis

from rollout.telemetry.fleet import FleetStore, PostgresFleetStore
from rollout.telemetry.fleet.redis_store import RedisFleetStore
from tests.conftest import Database


@pytest.fixture(params=["postgres", "redis"])
def make_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], FleetStore]]:
    """Stores on one backend, as many as the test wants (one per router process)."""
    stores: list[FleetStore] = []
    if request.param == "postgres":
        fleet_db: Database = request.getfixturevalue("fleet_db")

        def make() -> FleetStore:
            stores.append(PostgresFleetStore(fleet_db.url))
            return stores[-1]

        yield make
    else:
        url: str = request.getfixturevalue("redis_url")
        prefix = f"strangler-test:{{fleet-{os.getpid()}-{request.node.name}}}"

        def make() -> FleetStore:
            stores.append(RedisFleetStore(url, prefix=prefix))
            return stores[-1]

        yield make
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()
    for store in stores:
        store.close()

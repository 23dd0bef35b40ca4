"""Fleet-wide router counters: each router process publishes its own, readers sum them.

``open_fleet`` picks the store: Redis when ``counters_url`` is a ``redis://`` URL, else
PostgreSQL (``router_processes``/``router_counters``, migration 0004) at the database URL.
"""

from __future__ import annotations

from rollout.errors import MissingExtra
from rollout.telemetry.fleet.postgres import PostgresFleetStore
from rollout.telemetry.fleet.publisher import FleetPublisher
from rollout.telemetry.fleet.store import RETIRED, Counts, FleetStore, ProcessCounts, summed

__all__ = [
    "RETIRED",
    "Counts",
    "FleetPublisher",
    "FleetStore",
    "PostgresFleetStore",
    "ProcessCounts",
    "open_fleet",
    "summed",
]


def open_fleet(counters_url: str, database_url: str) -> FleetStore | None:
    """None when neither URL is set: the router then shows its own counters only."""
    if counters_url.startswith(("redis://", "rediss://", "unix://")):
        try:
            from rollout.telemetry.fleet.redis_store import RedisFleetStore
        except ModuleNotFoundError as exc:
            raise MissingExtra("counters_url = \"redis://...\"", "redis") from exc

        return RedisFleetStore(counters_url)
    url = counters_url or database_url
    return PostgresFleetStore(url) if url else None

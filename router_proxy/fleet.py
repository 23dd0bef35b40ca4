"""Publish this router's counters to the fleet store and read the fleet's sum back.

Every ``interval`` seconds the counters are snapshotted on the event loop (only the loop
writes them) and written from a thread; every ``fold_every`` seconds processes unseen
past the stale bound are folded into ``retired``; at shutdown this process publishes
once more and folds itself. A store that is down is logged once per outage, never
raised: the router serves on and ``/_strangler/status`` falls back to its own counters.

Example:
    link = FleetLink(stats, FleetPublisher(PostgresFleetStore(url)))
    assembly.run(started(link.start, link.close))  # router_proxy.lifespan
    totals = await link.totals()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from rollout.errors import FleetError
from rollout.pg import Outage
from rollout.telemetry.fleet import Counts, FleetPublisher, ProcessCounts
from router_proxy.stats import RouterStats

log = logging.getLogger(__name__)


class FleetLink:
    def __init__(
        self,
        stats: RouterStats,
        publisher: FleetPublisher,
        interval: float = 2.0,
        fold_every: float = 60.0,
    ) -> None:
        self.stats = stats
        self.publisher = publisher
        self.interval = interval
        self.fold_every = fold_every
        self._lock = asyncio.Lock()  # one publish at a time: its bookkeeping is not shared
        self._task: asyncio.Task[None] | None = None
        self._outage = Outage("fleet: publishing counters")

    @property
    def process_id(self) -> str:
        return self.publisher.process_id

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._publish_forever())

    async def publish(self) -> None:
        """Raises FleetError."""
        values = self.stats.flat()
        async with self._lock:
            await asyncio.to_thread(self.publisher.publish, values)

    async def totals(self) -> Counts:
        """The fleet's sum, this process's latest counters included. Raises FleetError."""
        await self.publish()
        return await asyncio.to_thread(self.publisher.store.totals)

    async def per_process(self) -> list[ProcessCounts]:
        """Raises FleetError."""
        await self.publish()
        return await asyncio.to_thread(self.publisher.store.per_process)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.publish()
            async with self._lock:
                await asyncio.to_thread(self.publisher.retire)
        except FleetError as exc:
            log.warning("fleet: could not retire %s: %s", self.process_id, exc)
        finally:
            await asyncio.to_thread(self.publisher.store.close)

    async def _publish_forever(self) -> None:
        since_fold = self.fold_every  # fold once at start: a crashed predecessor's rows
        while True:
            try:
                if since_fold >= self.fold_every:
                    since_fold = 0.0
                    await asyncio.to_thread(self.publisher.store.fold_stale)
                await self.publish()
                self._outage.worked()
            except FleetError as exc:
                self._outage.failed(exc)
            await asyncio.sleep(self.interval)
            since_fold += self.interval

"""The fleet's counters for ``/_strangler/status``: read from the traffic windows every router
process writes (``rollout.telemetry.windows``), the one cross-process counter store.

A read flushes this process's tallies first, so its own latest requests are in the sum;
the other processes' share is at most their flush interval old. A store that is down
raises WindowError: ``/_strangler/status`` then shows this process's own counters.

Example:
    link = FleetLink(windows)
    totals = await link.totals()
"""

from __future__ import annotations

import asyncio

from rollout.telemetry.counts import Counts, ProcessCounts
from rollout.telemetry.windows import WindowStore


class FleetLink:
    def __init__(self, windows: WindowStore) -> None:
        self.windows = windows

    @property
    def process_id(self) -> str:
        return self.windows.process_id

    async def totals(self) -> Counts:
        """The fleet's sum, this process's latest counters included. Raises WindowError."""
        await asyncio.to_thread(self.windows.flush)
        return await asyncio.to_thread(self.windows.totals)

    async def per_process(self) -> list[ProcessCounts]:
        """Raises WindowError."""
        await asyncio.to_thread(self.windows.flush)
        return await asyncio.to_thread(self.windows.per_process)

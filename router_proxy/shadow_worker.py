"""``python -m router_proxy.shadow_worker``: the process that runs shadow copies, so that
their CPU is spent off the router's event loop and GIL, at idle priority, on the CPUs
``shadow_cpus`` gives it (A7; what that buys is measured in bench/RESULTS.md).

The router (``router_proxy.shadow_process.ShadowProcess``) starts it, sends it one
``WorkerConfig`` and then the copies of shadowed requests over that socket. The worker runs
the same ``ShadowRunner`` the router would run on its own loop (replay to the target
backend, compare, write the parity ledger), but in its own interpreter at the lowest CPU
priority the kernel offers an unprivileged process (``SCHED_IDLE``, else nice 19): it
runs on CPU time the router leaves idle, and a client request waking up on the same core
takes the CPU from it at once (though the caches it leaves cold still cost the router:
keep it off the router's core). In-process mode imports the apps here too (the copy runs
against the worker's own instance of the new app); remote mode calls the candidate over
HTTP as the router would.

Its stdin is one end of a Unix socket pair: copies come in, events go back out. It
lives in a session of its own, so a Ctrl-C or a signal sent to the router's process
group does not cut it off while the router drains; it exits when the router closes its
end: when the router shuts down, or dies.

Example:
    >>> stats = EventStats()
    >>> stats.dropped("GET /x", "cap")
    >>> stats.dropped("GET /x", "cap")
    >>> stats.drain()
    [('dropped', 'GET /x', 'cap', 'new', 2)]
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import structlog

from rollout.evidence.ledger import ParityLedger
from rollout.types import Backend
from router_proxy import logs
from router_proxy.backends.base import Backend as BackendImpl
from router_proxy.config import Settings
from router_proxy.shadow import ShadowRunner
from router_proxy.shadow_wire import (
    COMPARE_ERROR,
    COMPARED,
    DROPPED,
    LEDGER_ERROR,
    READY,
    SENT,
    TAKEN,
    Event,
    WireClosed,
    WorkerConfig,
    encode,
    read_message,
    unpack_copy,
)
from router_proxy.stats import RouterStats

log = structlog.get_logger("router_proxy.shadow_worker")

FLUSH_SECONDS = 0.05


class EventStats(RouterStats):
    """What the runner counts, tallied for the router instead of kept as counters: one
    event per (kind, route, detail, backend) and flush, however many copies it counts,
    so the router's share of reading them does not grow with the traffic."""

    def __init__(self) -> None:
        super().__init__()
        self.tally: Counter[tuple[str, str, Any, str]] = Counter()

    def compared(self, route_key: str, mismatch: bool, backend: str = "new", n: int = 1) -> None:
        self.tally[(COMPARED, route_key, mismatch, backend)] += n

    def dropped(self, route_key: str, reason: str, backend: str = "new", n: int = 1) -> None:
        self.tally[(DROPPED, route_key, reason, backend)] += n

    def compare_failed(self, route_key: str, n: int = 1) -> None:
        self.tally[(COMPARE_ERROR, route_key, None, "")] += n

    def ledger_failed(self, route_key: str, n: int = 1) -> None:
        self.tally[(LEDGER_ERROR, route_key, None, "")] += n

    def drain(self) -> list[Event]:
        events = [(*what, n) for what, n in self.tally.items()]
        self.tally.clear()
        return events


class Worker:
    def __init__(
        self,
        config: WorkerConfig,
        backends: Mapping[Backend, BackendImpl],
        events: asyncio.StreamWriter,
    ) -> None:
        url = config.settings.database_url
        self.stats = EventStats()
        self.runner = ShadowRunner(
            backends, self.stats, config.limits, config.rules, ParityLedger(url) if url else None
        )
        self.backends = backends
        self.events = events
        self.taken = 0
        self.reported_sent = 0

    async def start(self) -> None:
        for backend in self.backends.values():
            await backend.startup()
        self.events.write(encode([(READY,)]))

    async def take(self, packed: tuple[Any, ...]) -> None:
        self.taken += 1
        served, queued_at = unpack_copy(packed)
        target = served.decision.shadow
        if time.monotonic() - queued_at > self.runner.limits.timeout:
            # Waited its whole budget for idle CPU: the answer it would be compared with
            # is stale by now (the data may have moved on), so it is not run at all.
            if served.route is not None and target is not None:
                self.stats.dropped(served.route.key, "timeout", target.value)
            return
        await self.runner(served)

    def flush(self) -> None:
        events = self.stats.drain()
        if self.taken:
            events.append((TAKEN, self.taken))
            self.taken = 0
        if self.runner.sent != self.reported_sent:
            events.append((SENT, self.runner.sent - self.reported_sent))
            self.reported_sent = self.runner.sent
        if events and not self.events.is_closing():
            self.events.write(encode(events))

    async def flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.flush()

    async def close(self) -> None:
        """Let copies in flight finish (each is bounded by the timeout), then stop."""
        if self.runner.tasks:
            await asyncio.wait(list(self.runner.tasks), timeout=self.runner.limits.timeout)
        await self.runner.aclose()
        for backend in reversed(list(self.backends.values())):
            await backend.shutdown()
        self.flush()


def build_targets(settings: Settings) -> dict[Backend, BackendImpl]:
    """The backends a copy can go to, built as the router builds its own."""
    from router_proxy.assembly import build_backends, import_legacy_app, import_new_app

    if settings.mode == "remote":
        legacy, new = build_backends(settings, None, None)
    else:
        apps = import_legacy_app(settings), import_new_app(settings)
        legacy, new = build_backends(settings, *apps)
    return {Backend.LEGACY: legacy, Backend.NEW: new}


def lower_priority() -> str:
    """Run only on CPU time nobody else wants; threads started later inherit it."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return "idle"
    except (AttributeError, OSError):
        pass
    try:
        os.nice(19 - os.nice(0))
        return "nice 19"
    except OSError:
        return "normal"


async def serve(priority: str) -> None:
    channel = socket.socket(fileno=sys.stdin.fileno())
    reader, events = await asyncio.open_unix_connection(sock=channel)
    try:
        config: WorkerConfig = await read_message(reader)
    except WireClosed:
        return
    cpus = place(config.settings.shadow_cpus)
    log.info("shadow_worker_started", pid=os.getpid(), priority=priority, cpus=cpus)
    worker = Worker(config, build_targets(config.settings), events)
    await worker.start()
    flusher = asyncio.get_running_loop().create_task(worker.flush_forever())
    try:
        while True:
            try:
                copies: list[tuple[Any, ...]] = await read_message(reader)
            except WireClosed:
                break
            for packed in copies:
                await worker.take(packed)
    finally:
        flusher.cancel()
        await worker.close()
        events.close()


def place(cpus: tuple[int, ...]) -> list[int]:
    """Run on ``cpus`` (``[router] shadow_cpus``), else where the router may run. On the
    router's own core even an idle-priority copy costs the client: it runs in the gaps
    between requests and leaves the caches cold for the next one (bench/RESULTS.md)."""
    if cpus:
        try:
            os.sched_setaffinity(0, cpus)
        except (AttributeError, OSError, ValueError) as exc:  # a CPU this host lacks
            log.warning("shadow_cpus_not_applied", cpus=list(cpus), error=type(exc).__name__)
    return sorted(os.sched_getaffinity(0))


def main() -> None:
    priority = lower_priority()
    logs.configure()
    _install_uvloop()
    asyncio.run(serve(priority))


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:  # plain asyncio works; uvloop is only faster
        return
    uvloop.install()


if __name__ == "__main__":
    main()

"""The shadow hook that hands copies to a worker process (``router_proxy.shadow_worker``)
instead of running them on the router's event loop.

On the loop, a copy costs the client: the candidate's CPU and the comparison run on the
same core and under the same GIL as the next request's answer, and the loop cannot take
a step back once it started; under load that multiplies the client's latency
(bench/RESULTS.md, "Shadow cost on the client path"). Here the router's share of a copy
is the admission check and a tuple pickled into one non-blocking socket write per 5 ms
(after the client has its answer); the worker runs at idle CPU priority, on
``shadow_cpus`` when given.

Bounds (A7): at most ``backlog`` copies wait for the worker (more are dropped, ``cap``); the
worker drops a copy that waited longer than the timeout (``timeout``) and keeps its own
concurrency cap. While no worker is up (starting, or restarting after a crash with
backoff up to 30 s) copies are dropped (``error``). The worker reports what happened to
each copy in batches; they land in the same ``RouterStats`` the loop runner feeds, so
``strangler status``, metrics and the guard's windows read them alike.

Example:
    runner = ShadowProcess(settings, stats, ShadowLimits(), rules={})
    assembly.shadow_hook = runner
    assembly.run(started(runner.start, runner.aclose))  # router_proxy.lifespan
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Mapping
from typing import Any

import structlog

from rollout.evidence.compare import CompareRules
from router_proxy.config import Settings
from router_proxy.served import Served
from router_proxy.shadow import ShadowLimits, admit
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
    pack_copy,
    read_message,
    unpack_copy,
)
from router_proxy.stats import RouterStats

log = structlog.get_logger("router_proxy.shadow")

START_SECONDS = 60.0  # importing the apps and their lifespan
# Copies go out in one write per 5 ms, not one per request: each write is a system call
# and a wake-up of the worker, paid on the client's core. 5 ms is nothing to a copy.
WRITE_EVERY = 0.005
MAX_BACKOFF = 30.0
STEADY_SECONDS = 60.0  # a worker that lived this long restarts from the shortest backoff


class ShadowProcess:
    def __init__(
        self,
        settings: Settings,
        stats: RouterStats,
        limits: ShadowLimits = ShadowLimits(),
        rules: Mapping[str, CompareRules] | None = None,
    ) -> None:
        self.stats = stats
        self.limits = limits
        self.config = WorkerConfig(settings, dict(rules or {}), limits)
        self.backlog = limits.concurrency * 8
        self.process: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.live = False  # a worker is up and said it is ready
        self.pending = 0  # handed over, not yet read by the worker
        self.sent = 0  # copies the worker actually sent to a backend; tests watch it
        self.closing = False
        self._outbox: list[tuple[Any, ...]] = []
        self._ready = asyncio.Event()
        self._failed = asyncio.Event()  # a worker exited (startup waits for one or the other)
        self._supervisor: asyncio.Task[None] | None = None

    async def __call__(self, served: Served) -> None:
        try:
            self._hand_over(served)
        except Exception as exc:  # the shadow never breaks the request it copies
            log.error("shadow_schedule_failed", error=type(exc).__name__)

    def _hand_over(self, served: Served) -> None:
        target = admit(served, self.stats, self.limits)
        if target is None:
            return
        assert served.route is not None
        if not self.live:
            self.stats.dropped(served.route.key, "error", target.value)
            return
        if self.pending >= self.backlog:
            self.stats.dropped(served.route.key, "cap", target.value)
            return
        if not self._outbox:
            asyncio.get_running_loop().call_later(WRITE_EVERY, self._write)
        self._outbox.append(pack_copy(served, time.monotonic()))
        self.pending += 1

    def _write(self) -> None:
        """One write for every copy handed over in the last ``WRITE_EVERY`` seconds."""
        copies, self._outbox = self._outbox, []
        writer = self._writer
        if not self.live or writer is None or writer.is_closing():
            for copy in copies:  # the worker went away within this turn
                served, _ = unpack_copy(copy)
                assert served.route is not None and served.decision.shadow is not None
                self.stats.dropped(served.route.key, "error", served.decision.shadow.value)
            return
        writer.write(encode(copies))

    async def start(self) -> None:
        """Start the worker and wait (at lifespan startup) until it can take copies, or
        until its first attempt failed: a worker that cannot start (its app does not
        import, say) costs the shadow, never the router's startup."""
        loop = asyncio.get_running_loop()
        self._supervisor = loop.create_task(self._supervise())
        waits = [loop.create_task(self._ready.wait()), loop.create_task(self._failed.wait())]
        await asyncio.wait(waits, timeout=START_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
        if not self.live:
            log.error("shadow_worker_not_ready", detail="copies are dropped until it is")

    async def aclose(self) -> None:
        self.closing = True
        supervisor, writer = self._supervisor, self._writer
        if supervisor is None:
            return
        if writer is None:
            supervisor.cancel()
        else:
            writer.write_eof()  # the worker finishes its copies, reports them, and exits
        try:
            await asyncio.wait_for(asyncio.shield(supervisor), self.limits.timeout + 5)
        except TimeoutError:
            if self.process is not None:
                self.process.kill()
        except asyncio.CancelledError:
            pass
        await asyncio.gather(supervisor, return_exceptions=True)

    async def _supervise(self) -> None:
        backoff = 0.5
        while not self.closing:
            began = time.monotonic()
            try:
                returncode = await self._run_worker()
            except Exception as exc:  # spawning failed: say so, try again later
                log.error("shadow_worker_failed", error=type(exc).__name__)
                returncode = None
            self._failed.set()
            if self.closing:
                return
            if time.monotonic() - began > STEADY_SECONDS:
                backoff = 0.5
            log.warning("shadow_worker_exited", returncode=returncode, restart_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _run_worker(self) -> int:
        # A socket pair, not pipes: a pipe write takes a mutex its reader holds while it
        # reads, and a reader at idle priority can be preempted holding it, stalling the
        # router's (non-blocking!) write for as long as the worker waits for CPU. A Unix
        # socket's sender takes only spinlocks.
        ours, theirs = socket.socketpair()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "router_proxy.shadow_worker",
                stdin=theirs.fileno(),
                env=worker_environment(),
                start_new_session=True,  # its lifetime is the router's: see shadow_worker
            )
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        self.process, self._writer = process, writer
        writer.write(encode(self.config))
        try:
            while True:
                self._apply(await read_message(reader))
        except WireClosed:
            pass
        finally:
            self.live, self.pending, self.process, self._writer = False, 0, None, None
            self._ready.clear()
            writer.close()
        return await process.wait()

    def _apply(self, events: list[Event]) -> None:
        for event in events:
            kind = event[0]
            if kind == TAKEN:
                self.pending = max(0, self.pending - event[1])
            elif kind == SENT:
                self.sent += event[1]
            elif kind == READY:
                self.live = True
                self._ready.set()
            else:
                _count(self.stats, *event)


def _count(stats: RouterStats, kind: str, key: str, detail: Any, backend: str, n: int) -> None:
    if kind == COMPARED:
        stats.compared(key, bool(detail), backend, n)
    elif kind == DROPPED:
        stats.dropped(key, str(detail), backend, n)
    elif kind == COMPARE_ERROR:
        stats.compare_failed(key, n)
    elif kind == LEDGER_ERROR:
        stats.ledger_failed(key, n)


def worker_environment() -> dict[str, str]:
    """The router's environment, and its import path: whatever the router could import
    (an app found through the current directory, a test's rootdir), the worker can."""
    paths = [path or os.getcwd() for path in sys.path]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}

"""The traffic recorder: a sample of each opted-in route's requests and answers, stored
redacted (``rollout.traffic.recordings``) for the merged OpenAPI and ``strangler port``.

Opt-in per route in strangler.toml, in percent of the route's requests (``"*"``: every
route not named; ``strangler serve --record 10`` sets it)::

    [record_sample]
    "GET /api/v1/orders/{order_id}" = 100
    "*" = 5

A sampled request's body and answer are copied as they pass (the same recorder the shadow
uses: the client's bytes do not change) and handed to a queue; one task stores them from
a thread, off the client's path, as many per INSERT as queued meanwhile. While the queue
is full nothing is sampled (counted as dropped, and not even copied), nor past
``record_max_per_second`` samples of one route (counted as limited: the table keeps only
the newest ``record_max_rows`` anyway, so more would cost CPU and add nothing), and a failed
write is logged and dropped: recording never fails or blocks a request. What it costs the
router's core (the copy, the writer's JSON work) is measured by ``make bench
BENCH=recorder``. Answers larger
than ``shadow_max_body_bytes`` are not recorded. At most ``record_max_rows`` rows per
route are kept, the newest.

Example:
    >>> sampling = load_record_sample({"record_sample": {"GET /a": 100, "*": 0}})
    >>> sampling.percent("GET /a"), sampling.percent("GET /b")
    (100.0, 0.0)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from rollout.errors import RecordingError
from rollout.traffic.recordings import RecordingStore, Seen, exchange_row
from rollout.types import RouteInfo
from router_proxy.capture import Captured, header_dict
from router_proxy.errors import ConfigError
from router_proxy.lifespan import started
from router_proxy.logs import access_log
from router_proxy.served import Served

if TYPE_CHECKING:
    from router_proxy.assembly import Assembly

QUEUE_SIZE = 256
# Samples written per INSERT: one round trip for what queued while the last one ran.
BATCH_SIZE = 64
DRAIN_SECONDS = 2.0
EVERY_ROUTE = "*"


@dataclass(frozen=True, slots=True)
class RecordSampling:
    """Percent of requests recorded, per route key; ``default`` for routes not named."""

    routes: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    default: float = 0.0

    def percent(self, route_key: str) -> float:
        return self.routes.get(route_key, self.default)

    @property
    def enabled(self) -> bool:
        return self.default > 0 or any(p > 0 for p in self.routes.values())


def load_record_sample(raw: Mapping[str, Any]) -> RecordSampling:
    """The ``[record_sample]`` table: route key (or ``"*"``) -> percent, 0 to 100."""
    table = raw.get("record_sample", {})
    if not isinstance(table, Mapping):
        raise ConfigError("[record_sample] must be a table of route key = percent")
    routes: dict[str, float] = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise ConfigError(f"record_sample.{key!r}: a percent from 0 to 100, not {value!r}")
        routes[key] = float(value)
    default = routes.pop(EVERY_ROUTE, 0.0)
    return RecordSampling(MappingProxyType(routes), default)


def attach_recorder(assembly: Assembly, raw: Mapping[str, Any]) -> TrafficRecorder | None:
    """The recorder ``[record_sample]`` asks for, started and closed with the lifespan;
    None when no route is sampled. Raises ConfigError (it needs DATABASE_URL)."""
    sampling = load_record_sample(raw)
    if not sampling.enabled:
        return None
    settings = assembly.settings
    if not settings.database_url:
        raise ConfigError("[record_sample] stores into PostgreSQL: set DATABASE_URL")
    store = RecordingStore(settings.database_url, settings.record_max_rows)
    recorder = TrafficRecorder(store, sampling, settings.record_max_per_second)
    assembly.recorder = recorder
    assembly.run(started(recorder.start, recorder.aclose))
    return recorder


class TrafficRecorder:
    """Samples requests (``wants``), takes finished ones (``offer``) and stores them."""

    def __init__(
        self, store: RecordingStore, sampling: RecordSampling, per_second: float = 10.0
    ) -> None:
        self.store = store
        self.sampling = sampling
        self.per_second = per_second  # per route: the table keeps the newest rows only
        self.budgets: dict[str, tuple[float, float]] = {}  # route -> (tokens, at)
        self.queue: asyncio.Queue[Seen] | None = None
        self.task: asyncio.Task[None] | None = None
        self.dropped = 0  # samples lost to a full queue or a failed write
        self.limited = 0  # sampled, but past the route's per_second budget
        self.stored = 0

    def wants(self, route: RouteInfo | None) -> bool:
        if route is None:
            return False
        percent = self.sampling.percent(route.key)
        if percent <= 0 or random.random() * 100 >= percent:
            return False
        if not self._within_budget(route.key):
            self.limited += 1
            return False
        if self.queue is not None and self.queue.full():
            self.dropped += 1  # not even copied: a full queue would drop it anyway
            return False
        return True

    def _within_budget(self, route_key: str) -> bool:
        """A token bucket per route: at most ``per_second`` samples a second, in bursts of
        as many. Past that a sample would only push out one stored a moment ago."""
        now = time.monotonic()
        burst = max(1.0, self.per_second)  # a budget under 1 a second still takes one
        tokens, at = self.budgets.get(route_key, (burst, now))
        tokens = min(burst, tokens + (now - at) * self.per_second)
        if tokens < 1:
            self.budgets[route_key] = (tokens, now)
            return False
        self.budgets[route_key] = (tokens - 1, now)
        return True

    def offer(self, served: Served, backend: str) -> None:
        """Never blocks: a sample that does not fit in the queue is dropped."""
        seen = _seen(served, backend)
        if seen is None or self.queue is None:
            return
        try:
            self.queue.put_nowait(seen)
        except asyncio.QueueFull:
            self.dropped += 1

    async def start(self) -> None:
        self.queue = asyncio.Queue(QUEUE_SIZE)
        self.task = asyncio.get_running_loop().create_task(self._drain(self.queue))

    async def aclose(self) -> None:
        if self.queue is not None and self.task is not None:
            # What was taken in is stored if it can be within the drain's bound.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.queue.join(), timeout=DRAIN_SECONDS)
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await asyncio.to_thread(self.store.close)

    async def _drain(self, queue: asyncio.Queue[Seen]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < BATCH_SIZE and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                written = await asyncio.to_thread(self._store, batch)
                # Counted here, on the loop: the only thread that writes the counters.
                self.stored += written
                self.dropped += len(batch) - written
            finally:
                for _ in batch:
                    queue.task_done()

    def _store(self, batch: list[Seen]) -> int:
        """Blocking, in a thread: how many of ``batch`` were written (all or none)."""
        try:
            self.store.record_many([exchange_row(seen) for seen in batch])
        except RecordingError as exc:
            access_log.warning("record_failed", samples=len(batch), error=str(exc))
            return 0
        return len(batch)


def _seen(served: Served, backend: str) -> Seen | None:
    response: Captured | None = served.response
    if served.route is None or response is None or response.overflow or served.body is None:
        return None
    if not response.complete:
        return None
    scope = served.scope
    return Seen(
        served.route.key,
        backend,
        scope["method"],
        scope["path"],
        scope.get("query_string", b""),
        header_dict(scope["headers"]),
        served.body,
        response.status,
        header_dict(response.headers),
        bytes(response.body),
    )

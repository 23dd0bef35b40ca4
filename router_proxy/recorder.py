"""The traffic recorder: a sample of each opted-in route's requests and answers, stored
redacted (``rollout.recordings``) for the merged OpenAPI and ``strangler port``.

Opt-in per route in strangler.toml, in percent of the route's requests (``"*"``: every
route not named; ``strangler serve --record 10`` sets it)::

    [record_sample]
    "GET /api/v1/accounts/{account_id}" = 100
    "*" = 5

A sampled request's body and answer are copied as they pass (the same recorder the shadow
uses: the client's bytes do not change) and handed to a queue; one task stores them from
a thread, off the client's path. A full queue drops the sample (counted), and a failed
write is logged and dropped: recording never slows or fails a request. Answers larger
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from rollout.errors import RecordingError
from rollout.recordings import RecordingStore, Seen, exchange_row
from rollout.types import RouteInfo
from router_proxy.capture import Captured, header_dict
from router_proxy.errors import ConfigError
from router_proxy.logs import access_log

if TYPE_CHECKING:
    from router_proxy.dispatch import RouterApp, Served

QUEUE_SIZE = 256
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


def attach_recorder(router: RouterApp, raw: Mapping[str, Any]) -> TrafficRecorder | None:
    """The recorder ``[record_sample]`` asks for, started and closed with the lifespan;
    None when no route is sampled. Raises ConfigError (it needs DATABASE_URL)."""
    sampling = load_record_sample(raw)
    if not sampling.enabled:
        return None
    settings = router.settings
    if not settings.database_url:
        raise ConfigError("[record_sample] stores into PostgreSQL: set DATABASE_URL")
    recorder = TrafficRecorder(
        RecordingStore(settings.database_url, settings.record_max_rows), sampling
    )
    router.traffic_recorder = recorder
    router.starters.append(recorder.start)
    router.closers.append(recorder.aclose)
    return recorder


class TrafficRecorder:
    """Samples requests (``wants``), takes finished ones (``offer``) and stores them."""

    def __init__(self, store: RecordingStore, sampling: RecordSampling) -> None:
        self.store = store
        self.sampling = sampling
        self.queue: asyncio.Queue[Seen] | None = None
        self.task: asyncio.Task[None] | None = None
        self.dropped = 0  # samples lost to a full queue or a failed write
        self.stored = 0

    def wants(self, route: RouteInfo | None) -> bool:
        if route is None:
            return False
        percent = self.sampling.percent(route.key)
        return percent > 0 and random.random() * 100 < percent

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
            seen = await queue.get()
            try:
                await asyncio.to_thread(self._store, seen)
            finally:
                queue.task_done()

    def _store(self, seen: Seen) -> None:
        try:
            self.store.record(exchange_row(seen))
            self.stored += 1
        except RecordingError as exc:
            self.dropped += 1
            access_log.warning("record_failed", route_key=seen.route_key, error=str(exc))


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

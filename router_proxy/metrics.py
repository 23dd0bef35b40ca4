"""Prometheus metrics at ``/_strangler/metrics``: per route and backend, requests by status
class, latency, shadow comparisons, mismatches and drops; the legacy thread pool
(busy threads, size, rejections) and the flag provider's state.

Several worker processes: ``strangler serve --workers N`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start; each worker
writes its values there and whichever worker answers the scrape sums them all
(prometheus-client's multiprocess mode). Gauges are sampled once a second by each worker
(and again at scrape time by the one that answers). Unmatched paths are not labelled
(a label per unknown path would grow without bound).

Example:
    stats = RouterStats(sinks=[PrometheusSink()])
    body, content_type = render()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from rollout.flags.base import FlagProvider

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

REQUESTS = Counter(
    "strangler_requests",
    "Requests per route, backend that answered, status class.",
    ["route", "backend", "status_class"],
)
LATENCY = Histogram(
    "strangler_request_duration_seconds",
    "Time to answer, per route and backend.",
    ["route", "backend"],
    buckets=LATENCY_BUCKETS,
)
COMPARISONS = Counter(
    "strangler_shadow_comparisons",
    "Shadow comparisons per route (backend: the shadow).",
    ["route", "backend"],
)
MISMATCHES = Counter(
    "strangler_shadow_mismatches", "Shadow comparisons that differed.", ["route", "backend"]
)
DROPS = Counter(
    "strangler_shadow_drops",
    "Shadow copies not compared (busy, cap, timeout, body_cap, error).",
    ["route", "backend", "reason"],
)
FALLBACKS = Counter(
    "strangler_fallback",
    "Requests the new side failed (5xx, timeout, unavailable, error) that legacy answered.",
    ["route", "reason"],
)
REJECTIONS = Counter(
    "strangler_rejections",
    "Requests the router answered itself (PoolSaturated: legacy busy).",
    ["reason"],
)
LEGACY_BUSY = Gauge(
    "strangler_legacy_threads_busy",
    "Legacy WSGI threads serving a request.",
    multiprocess_mode="livesum",
)
LEGACY_THREADS = Gauge(
    "strangler_legacy_threads", "Legacy WSGI threads available.", multiprocess_mode="livesum"
)
FLAGS_HEALTHY = Gauge(
    "strangler_flag_provider_healthy",
    "1 when the flag provider's source is reachable.",
    ["provider"],
    multiprocess_mode="livemin",
)
FLAGS_VERSION = Gauge(
    "strangler_flag_snapshot_version",
    "Version of the flag snapshot being served.",
    ["provider"],
    multiprocess_mode="livemax",
)


class PrometheusSink:
    """A ``router_proxy.stats.StatsSink``: one counter increment or observation per event.

    ``labels()`` validates and locks on every call (~4 us for the two a request needs); the
    children per route, backend and status are bounded by the route table, so they are
    looked up once and kept."""

    def __init__(self) -> None:
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def request(self, route_key: str, backend: str, status: int, seconds: float) -> None:
        children = self._request_children.get((route_key, backend, status))
        if children is None:
            children = self._children(route_key, backend, status)
        children[0].inc()
        children[1].observe(seconds)

    def _children(self, route_key: str, backend: str, status: int) -> tuple[Any, Any]:
        status_class = STATUS_CLASSES.get(status // 100, "none")
        found = (
            REQUESTS.labels(route_key, backend, status_class),
            LATENCY.labels(route_key, backend),
        )
        self._request_children[(route_key, backend, status)] = found
        return found

    def comparison(self, route_key: str, backend: str, mismatch: bool) -> None:
        COMPARISONS.labels(route_key, backend).inc()
        if mismatch:
            MISMATCHES.labels(route_key, backend).inc()

    def drop(self, route_key: str, backend: str, reason: str) -> None:
        DROPS.labels(route_key, backend, reason).inc()

    def fallback(self, route_key: str, reason: str) -> None:
        FALLBACKS.labels(route_key, reason).inc()

    def rejection(self, reason: str) -> None:
        REJECTIONS.labels(reason).inc()

    def counted(self, route_key: str, name: str, n: int = 1) -> None:
        """The status counters only (skipped writes, compare and ledger errors)."""


def sample_gauges(provider: FlagProvider, legacy: object) -> None:
    """The values that are states, not events: read them now. ``legacy``: the legacy
    backend (its thread pool, when it runs in-process)."""
    bridge = getattr(legacy, "bridge", None)
    if bridge is not None:
        LEGACY_BUSY.set(bridge.busy)
        LEGACY_THREADS.set(bridge.threads)
    try:
        health = provider.health()
    except Exception:  # a provider's health must not break the scrape
        health = {"provider": "unknown", "state": "unknown"}
    name = health.get("provider", "unknown")
    FLAGS_HEALTHY.labels(name).set(1 if health.get("state") == "ok" else 0)
    FLAGS_VERSION.labels(name).set(provider.snapshot().version)


async def sample_forever(provider: FlagProvider, legacy: object, interval: float = 1.0) -> None:
    while True:
        sample_gauges(provider, legacy)
        await asyncio.sleep(interval)


def render() -> tuple[bytes, str]:
    """The exposition text: this process's registry, or every worker's in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead() -> None:
    """A worker leaving: its live gauges stop counting (multiprocess mode only)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        with contextlib.suppress(OSError):
            multiprocess.mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]

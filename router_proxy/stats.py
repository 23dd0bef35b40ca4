"""In-process counters per route: who served, and what the shadow saw; and the sinks
(traffic windows, Prometheus metrics) that hear about every event.

Only the event loop writes them (shadow work in threads hands its result back first), so
plain integers need no lock. They count this router process only and start at zero; the
traffic windows, a sink, share every event across processes, so ``/_strangler/status``
can show the fleet's sum (``router_proxy.fleet``). Sinks
(``rollout.telemetry.windows.WindowStore``, ``router_proxy.metrics.PrometheusSink``) must be cheap:
they run on the request path.

Example:
    >>> stats = RouterStats()
    >>> stats.served("GET /api/v1/me", "new", status=200, seconds=0.004)
    >>> stats.dropped("GET /api/v1/me", "timeout")
    >>> stats.as_json()["GET /api/v1/me"]["requests"]
    {'new': 1}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# busy: the router had shadow_max_inflight client requests in flight, so it shed the copy.
DROP_REASONS = ("busy", "cap", "timeout", "body_cap", "error")


class StatsSink(Protocol):
    """Hears every counted event; ``backend`` is "legacy" or "new" (for a comparison or a
    drop: the shadow's target)."""

    def request(self, route_key: str, backend: str, status: int, seconds: float) -> None: ...

    def comparison(self, route_key: str, backend: str, mismatch: bool) -> None: ...

    def drop(self, route_key: str, backend: str, reason: str) -> None: ...

    def fallback(self, route_key: str, reason: str) -> None: ...

    def rejection(self, reason: str) -> None: ...

    def counted(self, route_key: str, name: str, n: int = 1) -> None:
        """One of the plain counters (``skipped_writes``, ``compare_errors``, ...)."""
        ...


@dataclass(slots=True)
class RouteCounters:
    requests: Counter[str] = field(default_factory=Counter)  # by backend that answered
    comparisons: int = 0
    mismatches: int = 0
    skipped_writes: int = 0  # shadow writes not sent (no sandbox): A8
    drops: Counter[str] = field(default_factory=Counter)  # by DROP_REASONS
    fallbacks: Counter[str] = field(default_factory=Counter)  # by FellBack.reason
    compare_errors: int = 0
    ledger_errors: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "comparisons": self.comparisons,
            "mismatches": self.mismatches,
            "skipped_writes": self.skipped_writes,
            "drops": {reason: self.drops[reason] for reason in DROP_REASONS},
            "fallbacks": dict(self.fallbacks),
            "compare_errors": self.compare_errors,
            "ledger_errors": self.ledger_errors,
        }

    def flat(self) -> dict[str, int]:
        """As fleet counter names (``requests.new``, ``drops.busy``, ...), zeros left out.

        >>> RouteCounters(requests=Counter(new=2), mismatches=1).flat()
        {'requests.new': 2, 'mismatches': 1}
        """
        named = {f"requests.{backend}": n for backend, n in self.requests.items()}
        named.update((name, getattr(self, name)) for name in PLAIN_COUNTERS)
        named.update((f"drops.{reason}", n) for reason, n in self.drops.items())
        named.update((f"fallbacks.{reason}", n) for reason, n in self.fallbacks.items())
        return {name: n for name, n in named.items() if n}

    @classmethod
    def from_flat(cls, named: Mapping[str, int]) -> RouteCounters:
        counters = cls()
        for name, n in named.items():
            group, _, member = name.partition(".")
            if group == "requests" and member:
                counters.requests[member] += n
            elif group == "drops" and member:
                counters.drops[member] += n
            elif group == "fallbacks" and member:
                counters.fallbacks[member] += n
            elif name in PLAIN_COUNTERS:
                setattr(counters, name, getattr(counters, name) + n)
        return counters


# The counters that are one number per route (requests, drops, fallbacks are per kind).
PLAIN_COUNTERS = ("comparisons", "mismatches", "skipped_writes", "compare_errors", "ledger_errors")


class RouterStats:
    def __init__(self, sinks: Iterable[StatsSink] = ()) -> None:
        self.routes: dict[str, RouteCounters] = {}
        self.sinks: list[StatsSink] = list(sinks)

    def counters(self, route_key: str) -> RouteCounters:
        found = self.routes.get(route_key)
        if found is None:
            found = self.routes[route_key] = RouteCounters()
        return found

    def served(self, route_key: str, backend: str, status: int = 0, seconds: float = 0.0) -> None:
        self.counters(route_key).requests[backend] += 1
        for sink in self.sinks:
            sink.request(route_key, backend, status, seconds)

    def compared(self, route_key: str, mismatch: bool, backend: str = "new", n: int = 1) -> None:
        """``n``: that many alike (the shadow worker reports tallies)."""
        counters = self.counters(route_key)
        counters.comparisons += n
        counters.mismatches += mismatch * n
        for sink in self.sinks:
            for _ in range(n):
                sink.comparison(route_key, backend, mismatch)

    def dropped(self, route_key: str, reason: str, backend: str = "new", n: int = 1) -> None:
        self.counters(route_key).drops[reason] += n
        for sink in self.sinks:
            for _ in range(n):
                sink.drop(route_key, backend, reason)

    def fell_back(self, route_key: str, reason: str) -> None:
        """The new side failed this request and legacy answered it (router_proxy.fallback)."""
        self.counters(route_key).fallbacks[reason] += 1
        for sink in self.sinks:
            sink.fallback(route_key, reason)

    def skipped_write(self, route_key: str) -> None:
        self.counters(route_key).skipped_writes += 1
        self._counted(route_key, "skipped_writes", 1)

    def compare_failed(self, route_key: str, n: int = 1) -> None:
        self.counters(route_key).compare_errors += n
        self._counted(route_key, "compare_errors", n)

    def ledger_failed(self, route_key: str, n: int = 1) -> None:
        self.counters(route_key).ledger_errors += n
        self._counted(route_key, "ledger_errors", n)

    def _counted(self, route_key: str, name: str, n: int) -> None:
        for sink in self.sinks:
            sink.counted(route_key, name, n)

    def rejected(self, reason: str) -> None:
        """The router refused a request itself (e.g. ``pool_saturated``: legacy threads)."""
        for sink in self.sinks:
            sink.rejection(reason)

    def as_json(self) -> dict[str, dict[str, Any]]:
        return {key: counters.as_json() for key, counters in sorted(self.routes.items())}

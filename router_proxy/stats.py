"""In-process counters per route: who served, and what the shadow saw.

Only the event loop writes them (shadow work in threads hands its result back first), so
plain integers need no lock. ``strangler status`` reads them through
``/_strangler/status``; they count this router process only and start at zero.

Example:
    >>> stats = RouterStats()
    >>> stats.served("GET /api/v1/me", "new")
    >>> stats.dropped("GET /api/v1/me", "timeout")
    >>> stats.as_json()["GET /api/v1/me"]["requests"]
    {'new': 1}
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DROP_REASONS = ("cap", "timeout", "body_cap", "error")


@dataclass(slots=True)
class RouteCounters:
    requests: Counter[str] = field(default_factory=Counter)  # by backend that answered
    comparisons: int = 0
    mismatches: int = 0
    skipped_writes: int = 0  # shadow writes not sent (no sandbox): A8
    drops: Counter[str] = field(default_factory=Counter)  # by DROP_REASONS
    compare_errors: int = 0
    ledger_errors: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "comparisons": self.comparisons,
            "mismatches": self.mismatches,
            "skipped_writes": self.skipped_writes,
            "drops": {reason: self.drops[reason] for reason in DROP_REASONS},
            "compare_errors": self.compare_errors,
            "ledger_errors": self.ledger_errors,
        }


class RouterStats:
    def __init__(self) -> None:
        self.routes: dict[str, RouteCounters] = {}

    def counters(self, route_key: str) -> RouteCounters:
        found = self.routes.get(route_key)
        if found is None:
            found = self.routes[route_key] = RouteCounters()
        return found

    def served(self, route_key: str, backend: str) -> None:
        self.counters(route_key).requests[backend] += 1

    def dropped(self, route_key: str, reason: str) -> None:
        self.counters(route_key).drops[reason] += 1

    def as_json(self) -> dict[str, dict[str, Any]]:
        return {key: counters.as_json() for key, counters in sorted(self.routes.items())}

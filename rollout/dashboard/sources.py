"""Everything the dashboard reads and writes, handed in by whoever mounts it.

The dashboard imports no router code: the router (or a test) passes plain callables and
small objects. ``traffic``, ``mismatches``, ``coverage``, ``totals`` and ``changes`` are optional:
without them the page says what is missing instead of failing.

Example:
    >>> from rollout.types import Snapshot
    >>> sources = DashboardSources(route_keys=lambda: ["GET /api/v1/me"],
    ...                            snapshot=Snapshot, flag_health=dict)
    >>> sources.read_only_reason
    'no flag writer configured'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rollout.dashboard.changes import FlagChanges
from rollout.dashboard.mismatches import MismatchReader
from rollout.dashboard.rollouts import DashboardRollouts
from rollout.telemetry.counts import Counts
from rollout.telemetry.windows import WindowStats
from rollout.types import Snapshot


class TrafficSource(Protocol):
    def recent(self, route_key: str | None = None, minutes: float = 5) -> Sequence[WindowStats]:
        """Shared windows of the last ``minutes`` (``rollout.telemetry.windows.WindowStore``)."""
        ...


class AuditReader(Protocol):
    def recent(self, limit: int, route_key: str | None = None) -> Sequence[Any]: ...


@dataclass(frozen=True, slots=True)
class CoverageCell:
    ported: bool
    cases: int
    last_result: str


@dataclass(slots=True)
class DashboardSources:
    route_keys: Callable[[], Sequence[str]]
    snapshot: Callable[[], Snapshot]
    flag_health: Callable[[], Mapping[str, str]]
    changes: FlagChanges | None = None
    read_only_reason: str = "no flag writer configured"
    audit: AuditReader | None = None
    traffic: TrafficSource | None = None
    mismatches: MismatchReader | None = None
    coverage: Callable[[], Mapping[str, CoverageCell]] | None = None
    rollouts: DashboardRollouts | None = None  # the [rollout."KEY"] plans and their buttons
    # Counters summed over every router process since the first started (the windows').
    totals: Callable[[], Counts] | None = None

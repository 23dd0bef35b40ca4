"""The overview table: one row per route, its flag, and both backends side by side; and
the fleet's totals since the first router started.

Pure: flags, traffic windows, coverage and counters in, rows out.

Example:
    >>> from rollout.types import Snapshot
    >>> rows = overview_rows(["GET /api/v1/me"], Snapshot(), [], {})
    >>> rows[0].mode, rows[0].legacy.requests
    ('legacy', 0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rollout.dashboard.sources import CoverageCell
from rollout.naming import route_flag_name
from rollout.telemetry.counts import Counts
from rollout.telemetry.windows import WindowStats, totals
from rollout.types import Snapshot

_EPOCH = datetime.fromtimestamp(0, UTC)


@dataclass(frozen=True, slots=True)
class OverviewRow:
    key: str
    flag_name: str
    mode: str  # what applies now: "legacy (kill switch)" while the switch is on
    percent: int
    shadow_sample: int
    legacy: WindowStats
    new: WindowStats
    coverage: CoverageCell | None
    stored_mode: str = "legacy"  # the flag's own mode, which the kill switch leaves alone

    @property
    def comparisons(self) -> int:
        return self.legacy.comparisons + self.new.comparisons

    @property
    def mismatch_rate(self) -> float | None:
        mismatches = self.legacy.mismatches + self.new.mismatches
        return mismatches / self.comparisons if self.comparisons else None

    @property
    def new_share(self) -> float | None:
        total = self.legacy.requests + self.new.requests
        return self.new.requests / total if total else None


def overview_rows(
    route_keys: Iterable[str],
    snapshot: Snapshot,
    windows: Sequence[WindowStats],
    coverage: Mapping[str, CoverageCell],
) -> list[OverviewRow]:
    by_route: dict[str, list[WindowStats]] = {}
    for window in windows:
        by_route.setdefault(window.route_key, []).append(window)
    keys = sorted(set(route_keys) | snapshot.routes.keys(), key=_path_first)
    return [_row(key, snapshot, by_route.get(key, []), coverage.get(key)) for key in keys]


def _row(
    key: str, snapshot: Snapshot, windows: Sequence[WindowStats], cell: CoverageCell | None
) -> OverviewRow:
    flag = snapshot.flag_for(key)
    summed = totals(windows)
    return OverviewRow(
        key=key,
        flag_name=route_flag_name(key),
        mode="legacy (kill switch)" if snapshot.kill_switch else flag.mode.value,
        percent=flag.percent,
        shadow_sample=flag.shadow_sample,
        legacy=summed.get("legacy") or WindowStats(key, "legacy", _EPOCH),
        new=summed.get("new") or WindowStats(key, "new", _EPOCH),
        coverage=cell,
        stored_mode=flag.mode.value,
    )


@dataclass(frozen=True, slots=True)
class TotalRow:
    key: str
    legacy: int
    new: int
    comparisons: int
    mismatches: int
    drops: int
    fallbacks: int  # requests the new side failed that legacy answered (router_proxy.fallback)


def total_rows(counts: Counts) -> list[TotalRow]:
    """One row per route from the fleet totals (``rollout.telemetry.windows``), sorted by path.

    >>> total_rows({"GET /x": {"requests.new": 3, "drops.busy": 2}})[0]
    TotalRow(key='GET /x', legacy=0, new=3, comparisons=0, mismatches=0, drops=2, fallbacks=0)
    """
    return [
        TotalRow(
            key=key,
            legacy=named.get("requests.legacy", 0),
            new=named.get("requests.new", 0),
            comparisons=named.get("comparisons", 0),
            mismatches=named.get("mismatches", 0),
            drops=_sum_of(named, "drops."),
            fallbacks=_sum_of(named, "fallbacks."),
        )
        for key, named in sorted(counts.items(), key=lambda item: _path_first(item[0]))
    ]


def _sum_of(named: dict[str, int], group: str) -> int:
    return sum(n for name, n in named.items() if name.startswith(group))


def error_rate(stats: WindowStats) -> float | None:
    return stats.error_rate if stats.requests else None


def _path_first(key: str) -> tuple[str, str]:
    method, _, path = key.partition(" ")
    return path, method

"""What a fleet counter store is: absolute per-process values in, sums out.

Counters are flat: route key -> counter name -> value, where a name is ``requests.new``,
``drops.busy``, ``comparisons``... (``router_proxy.stats.RouteCounters.flat``). A process
publishes its own values since it started, never increments, so a retried publish is
harmless; readers sum over processes, the ``retired`` one included.

Example:
    >>> summed([ProcessCounts("a", None, {"GET /x": {"requests.new": 2}}),
    ...         ProcessCounts("b", None, {"GET /x": {"requests.new": 3}})])
    {'GET /x': {'requests.new': 5}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

Counts = dict[str, dict[str, int]]  # route key -> counter name -> value
Values = Mapping[tuple[str, str], int]  # (route key, counter name) -> value
# The process that holds the counters of routers that stopped (or vanished).
RETIRED = "retired"
# A process unseen this long is taken for dead and folded into RETIRED.
STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class ProcessCounts:
    process_id: str
    seen_at: datetime | None  # None: the retired row, which nobody publishes
    routes: Counts


class FleetStore(Protocol):
    def publish(self, process_id: str, values: Values, register: bool) -> bool:
        """Store ``values`` as this process's; ``register``: the process's first publish.
        False when the process is no longer known (it was folded into ``retired``): nothing
        was stored. Raises FleetError."""
        ...

    def retire(self, process_id: str) -> None:
        """Fold this process's counters into ``retired``. Raises FleetError."""
        ...

    def fold_stale(self, older_than: timedelta = STALE_AFTER) -> int:
        """Fold every process unseen for ``older_than``; returns how many. Raises FleetError."""
        ...

    def totals(self) -> Counts:
        """Summed over every process. Raises FleetError."""
        ...

    def per_process(self) -> list[ProcessCounts]:
        """Each process's own, ``retired`` last. Raises FleetError."""
        ...

    def close(self) -> None: ...


def summed(processes: Iterable[ProcessCounts]) -> Counts:
    total: Counts = {}
    for process in processes:
        for route_key, names in process.routes.items():
            into = total.setdefault(route_key, {})
            for name, value in names.items():
                into[name] = into.get(name, 0) + value
    return total


def nested(rows: Iterable[tuple[str, str, int]]) -> Counts:
    """(route key, name, value) rows as Counts."""
    counts: Counts = {}
    for route_key, name, value in rows:
        counts.setdefault(route_key, {})[name] = int(value)
    return counts

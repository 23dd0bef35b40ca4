"""The fleet totals' shape: route key -> counter name -> value, per router process or summed.

A name is ``requests.new``, ``drops.busy``, ``comparisons``... (the names of
``router_proxy.stats.RouteCounters.flat``). The traffic windows hold them per process
(``rollout.telemetry.windows``); ``retired`` is what windows since pruned had counted.

Example:
    >>> summed([ProcessCounts("a", None, {"GET /x": {"requests.new": 2}}),
    ...         ProcessCounts("b", None, {"GET /x": {"requests.new": 3}})])
    {'GET /x': {'requests.new': 5}}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

Counts = dict[str, dict[str, int]]  # route key -> counter name -> value
# What pruned windows counted, shown as one more process.
RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class ProcessCounts:
    process_id: str
    seen_at: datetime | None  # its newest window; None: retired
    routes: Counts


def summed(processes: Iterable[ProcessCounts]) -> Counts:
    total: Counts = {}
    for process in processes:
        for route_key, names in process.routes.items():
            into = total.setdefault(route_key, {})
            for name, value in names.items():
                into[name] = into.get(name, 0) + value
    return total

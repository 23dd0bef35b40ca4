"""The migration's progress report: every legacy route, whether it is ported, read or
write, its number of parity cases, its last parity result and its current mode.

Example:
    >>> route_matches("GET /api/v1/orders/{order_id}", "GET /api/v1/orders/{id}")
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parity_tests.cases import ParityCase
from parity_tests.report import route_status
from parity_tests.results import ParityResult
from router_proxy.routes import WRITE_METHODS, flask_specs, starlette_specs

_VARIABLE = re.compile(r"{[^}]*}")


@dataclass(frozen=True)
class CoverageRow:
    route: str
    ported: bool
    kind: str
    cases: int
    last_result: str
    mode: str


def route_matches(left: str, right: str) -> bool:
    return _VARIABLE.sub("{}", left) == _VARIABLE.sub("{}", right)


def coverage(
    legacy_app: Any,
    new_app: Any,
    cases: Sequence[ParityCase],
    last: Sequence[ParityResult],
    modes: Mapping[str, str],
) -> list[CoverageRow]:
    ported = {f"{s.method} {s.template}" for s in starlette_specs(new_app)}
    rows = []
    for spec in flask_specs(legacy_app):
        key = f"{spec.method} {spec.template}"
        mine = [r for r in last if route_matches(r.route, key)]
        rows.append(
            CoverageRow(
                route=key,
                ported=any(route_matches(key, other) for other in ported),
                kind="write" if spec.method in WRITE_METHODS else "read",
                cases=sum(1 for case in cases if route_matches(case.route, key)),
                last_result=route_status(mine) if mine else "-",
                mode=next((m for r, m in modes.items() if route_matches(r, key)), "legacy"),
            )
        )
    return sorted(rows, key=lambda row: row.route.split(" ", 1)[::-1])

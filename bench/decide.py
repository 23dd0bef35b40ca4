"""The rollout's decision cost on the request path (issue 5 item 8).

``decide()`` per call, best of 5 timeit runs of 50k calls, per mode (budget 2 us). The
shadow's client-path cost (item 8's other half) is ``bench.shadow``.

Run: ``python -m bench decide`` (writes the "decide" section of bench/RESULTS.md).
"""

from __future__ import annotations

import timeit

from bench.harness import machine_line, write_section
from rollout.decide import decide
from rollout.naming import route_flag_name
from rollout.types import CallerContext, Mode, RouteFlag, RouteInfo, Snapshot

KEY = "GET /api/v1/payments/{payment_id}"
ROUTE = RouteInfo(KEY, True, True, False, route_flag_name(KEY))
CALLS = 50_000
FLAGS = {
    "canary 25%": RouteFlag(Mode.CANARY, percent=25, shadow_sample=10),
    "shadow 50%": RouteFlag(Mode.SHADOW, shadow_sample=50),
    "new": RouteFlag(Mode.NEW),
}
SHADOWED = "GET /healthz"
CONNECTIONS = 8
ROUNDS = 3


def decide_cost_us() -> dict[str, float]:
    ctx = CallerContext(user_id="org_123", sample=42.0)
    costs = {}
    for name, flag in FLAGS.items():
        snapshot = Snapshot(routes={KEY: flag})
        timer = timeit.Timer(lambda s=snapshot: decide(ROUTE, ctx, s))  # type: ignore[misc]
        costs[name] = min(timer.repeat(number=CALLS, repeat=5)) / CALLS * 1e6
    return costs


def main() -> str:
    costs = decide_cost_us()
    lines = [
        "## Rollout cost on the request path (issue 5)",
        "",
        f"Measured {machine_line()}.",
        "",
        "| decide() per call | us (best of 5 x 50k) | budget |",
        "|---|---|---|",
        *(f"| {name} | {us:.2f} | 2.00 |" for name, us in costs.items()),
        "",
        'The shadow\'s cost on the client path: section "Shadow cost on the client path"'
        " (`python -m bench shadow`).",
    ]
    body = "\n".join(lines)
    write_section("decide", body)
    return body

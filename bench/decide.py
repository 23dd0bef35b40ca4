"""The rollout's cost on the request path (issue 5 item 8).

1. ``decide()`` per call, best of 5 timeit runs of 50k calls, per mode (budget 2 us).
2. Client p50 with shadow at a 100% sample ÷ the same route unshadowed (goal <= 1.05):
   the router (``bench.apps``' hello apps in-process, ``GET /healthz`` served by both)
   under uvicorn on core 0, wrk on core 1, median of 3 alternating rounds each.
   The copy runs after the response (see ``router_proxy.shadow``), on the same core.

Run: ``python -m bench decide`` (writes the "decide" section of bench/RESULTS.md).
"""

from __future__ import annotations

import os
import timeit

from bench.harness import Server, WrkResult, free_port, machine_line, run_wrk, write_section
from rollout.decide import decide
from rollout.naming import route_flag_name
from rollout.types import CallerContext, Mode, RouteFlag, RouteInfo, Snapshot
from router_proxy.dispatch import RouterApp

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


def shadow_router_app() -> RouterApp:
    """``uvicorn --factory bench.decide:shadow_router_app``; sample from BENCH_SHADOW_SAMPLE."""
    from rollout.plan import parse_plan
    from rollout.providers.static import StaticProvider
    from router_proxy.asgi import build_app
    from router_proxy.config import load_settings
    from router_proxy.wiring import attach_rollout

    apps = {"apps": {"legacy": "bench.apps:legacy_app", "new": "bench.apps:new_app"}}
    settings = load_settings(apps, os.environ, {})
    sample = int(os.environ.get("BENCH_SHADOW_SAMPLE", "0"))
    plan = {"routes": {SHADOWED: {"mode": "shadow", "shadow_sample": sample}}}
    router = build_app(settings, StaticProvider(parse_plan(plan)))
    attach_rollout(router, settings, {})
    return router


def _router(sample: int) -> Server:
    port = free_port()
    command = [
        "uvicorn",
        "--factory",
        "bench.decide:shadow_router_app",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = {"BENCH_SHADOW_SAMPLE": str(sample), "DATABASE_URL": ""}
    return Server(command, port, "/_strangler/healthz", env=env)


def _round(sample: int, seconds: float) -> WrkResult:
    with _router(sample) as server:
        run_wrk(server.url("/healthz"), CONNECTIONS, 1)  # warm up
        return run_wrk(server.url("/healthz"), CONNECTIONS, seconds)


def shadow_ratio(seconds: float) -> tuple[WrkResult, WrkResult]:
    plain, shadowed = [], []
    for _ in range(ROUNDS):  # alternate so that drift hits both sides alike
        plain.append(_round(0, seconds))
        shadowed.append(_round(100, seconds))
    return _median(plain), _median(shadowed)


def _median(results: list[WrkResult]) -> WrkResult:
    ordered = sorted(results, key=lambda r: r.p50_ms)
    return ordered[len(ordered) // 2]


def main(seconds: float = 5.0) -> str:
    costs = decide_cost_us()
    plain, shadowed = shadow_ratio(seconds)
    lines = [
        "## Rollout cost on the request path (issue 5)",
        "",
        f"Measured {machine_line()}.",
        "",
        "| decide() per call | us (best of 5 x 50k) | budget |",
        "|---|---|---|",
        *(f"| {name} | {us:.2f} | 2.00 |" for name, us in costs.items()),
        "",
        f"Shadow at 100% sample vs none, `GET /healthz` (hello apps in-process), c={CONNECTIONS},"
        f" {seconds:.0f} s, median of {ROUNDS} alternating rounds; copy runs after the response:",
        "",
        "| setup | rps | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|",
        f"| no shadow | {plain.rps:,.0f} | {plain.p50_ms:.2f} | {plain.p99_ms:.2f}"
        f" | {plain.errors} |",
        f"| shadow 100% | {shadowed.rps:,.0f} | {shadowed.p50_ms:.2f} | {shadowed.p99_ms:.2f}"
        f" | {shadowed.errors} |",
        "",
        f"p50 ratio shadow ÷ none: **{shadowed.p50_ms / plain.p50_ms:.2f}** (goal <= 1.05);"
        f" p99 ratio {shadowed.p99_ms / plain.p99_ms:.2f}.",
    ]
    body = "\n".join(lines)
    write_section("decide", body)
    return body

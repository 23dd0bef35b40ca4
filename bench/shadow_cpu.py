"""The shadow's cost in the router's own CPU (issue 12 item 1): CPU microseconds per client
request of the router process alone, with a 100% shadow and without, at a fixed open-loop
rate.

Wall-clock ratios on this 2-vCPU VM cannot resolve 5% (the A/A control of ``bench.shadow``
read 0.41-1.79 at p50). CPU time spent by one process per request can: it is counted by
the kernel in nanoseconds per process (its CPU clock, ended threads included), whatever
else the machine does, and it is the part of the shadow's cost that lands on the client's path
(the router's loop and GIL). The worker process's CPU is reported beside it, apart: it runs
at idle priority on another core and is not the router's.

Each round offers ``RATE`` requests/s for ``SECONDS`` (after the load generator's own 1 s
warm-up, counted too) to one router per variant, the variants alternating; the figure is
the median of the rounds. Setups: in-process (router + both hello apps in one process, the
worker importing them) and remote (router in remote mode; legacy under gunicorn, the
candidate under uvicorn on core 1).

Run: ``make bench BENCH=shadow-cpu`` (also part of ``BENCH=shadow``).

Example:
    >>> per_request_us(3_000_000, 1_000)
    3.0
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bench.harness import (
    CLIENT_CORE,
    Server,
    children_cpu_ns,
    cpu_ns,
    machine_line,
    run_wrk,
    write_section,
)
from bench.shadow import PATH, open_loop, routers, shadow_counters

RATE = 400.0  # well under every variant's capacity here: the router is never saturated
SECONDS = 6.0
WARM_UP = 1.0  # bench.shadow's load generator warms up at the same rate first
GOAL = 1.05
BASELINE = "none"
CPU_VARIANTS: dict[str, dict[str, str]] = {
    BASELINE: {"BENCH_SHADOW_SAMPLE": "0"},
    "none, again (A/A control)": {"BENCH_SHADOW_SAMPLE": "0"},
    "100% shadow, worker process": {
        "BENCH_SHADOW_SAMPLE": "100",
        "STRANGLER_SHADOW_CPUS": CLIENT_CORE,
        "STRANGLER_SHADOW_MAX_INFLIGHT": "1000000",  # measure every copy, shed none
    },
    "100% shadow on the loop": {
        "BENCH_SHADOW_SAMPLE": "100",
        "STRANGLER_SHADOW_ISOLATION": "loop",
        "STRANGLER_SHADOW_MAX_INFLIGHT": "1000000",
    },
}


def per_request_us(cpu_ns: int, requests: int) -> float:
    return cpu_ns / requests / 1000


@dataclass(frozen=True)
class CpuRow:
    setup: str
    variant: str
    router_us: float
    worker_us: float
    base_us: float
    compared: int
    requests: int

    @property
    def ratio(self) -> float:
        return self.router_us / self.base_us


def measure(setup: str, rounds: int, seconds: float = SECONDS, rate: float = RATE) -> list[CpuRow]:
    with routers(setup, variants=CPU_VARIANTS) as servers:
        for server in servers.values():
            run_wrk(server.url(PATH), 8, 2)  # warm-up: imports, caches, connections
        router: dict[str, list[float]] = {v: [] for v in servers}
        worker: dict[str, list[float]] = {v: [] for v in servers}
        before = {v: shadow_counters(s).get("comparisons", 0) for v, s in servers.items()}
        requests = int(rate * (seconds + WARM_UP))
        for _ in range(rounds):  # alternate so that drift hits every variant alike
            for variant, server in servers.items():
                pid = _pid(server)
                start, start_children = cpu_ns(pid), children_cpu_ns(pid)
                open_loop(server.url(PATH), rate, seconds)
                router[variant].append(per_request_us(cpu_ns(pid) - start, requests))
                spent = children_cpu_ns(pid) - start_children
                worker[variant].append(per_request_us(spent, requests))
        after = {v: shadow_counters(s).get("comparisons", 0) for v, s in servers.items()}
    base = statistics.median(router[BASELINE])
    return [
        CpuRow(
            setup,
            variant,
            statistics.median(router[variant]),
            statistics.median(worker[variant]),
            base,
            after[variant] - before[variant],
            requests * rounds,
        )
        for variant in router
    ]


def _pid(server: Server) -> int:
    assert server.process is not None
    return server.process.pid  # taskset execs the server: the same pid


def render(rows: Sequence[CpuRow], rounds: int, seconds: float = SECONDS) -> str:
    lines = [
        "## Shadow cost in the router's CPU (issue 12 item 1)",
        "",
        f"Measured {machine_line()}. The router process's own CPU time per client request"
        f" (all its threads, from its process CPU clock, ns), `GET /healthz` of the"
        f" hello apps at a fixed open-loop rate of {RATE:.0f} requests/s, {seconds:.0f} s"
        f" rounds, median of {rounds} alternating rounds; the worker's CPU (its own process,"
        " at idle priority on core 1) apart. Goal: the router's CPU per request with a 100%"
        f" shadow <= {GOAL:.2f} x without.",
        "",
        "| setup | variant | router CPU us/request | ratio | met | worker CPU us/request"
        " | copies compared |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        met = "(control)" if row.variant.startswith("none") else _met(row)
        lines.append(
            f"| {row.setup} | {row.variant} | {row.router_us:.1f} | {row.ratio:.3f} | {met}"
            f" | {row.worker_us:.1f} | {row.compared:,} of {row.requests:,} |"
        )
    return "\n".join(lines) + "\n" + NOTES


NOTES = """
How to read it:

- The two "none" rows are identical routers: their spread is this machine's noise floor
  for CPU per request (2 vCPUs that the load generator shares, caches and frequency
  moving with it). A ratio inside that spread is "no measurable cost", whichever side
  of 1.05 it prints.
- "router CPU" is everything the client's path pays for: capturing the primary's answer,
  the admission check, the frame and the batched socket write, reading the worker's tallies.
  "worker CPU" is the copy itself (the candidate request and the comparison), spent in
  another process at idle priority on another core: it competes with nothing the router
  needs unless that core is busy.
- "on the loop" runs the copy on the router's own event loop and GIL: that is what the
  worker process saves.
"""


def _met(row: CpuRow) -> str:
    return "yes" if row.ratio <= GOAL else "**no**"


def main(rounds: int = 7, setups: Sequence[str] = ("inprocess", "remote")) -> str:
    rows = [row for setup in setups for row in measure(setup, rounds)]
    body = render(rows, rounds)
    write_section("shadow-cpu", body)
    return body

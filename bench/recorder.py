"""The traffic recorder's cost on the client's path (issue 14): the router recording 10%
and 100% of every route's requests against the same router with the recorder off,
measured in the same run, interleaved.

Three routers under uvicorn on core 0 (the recorder's writer thread runs there too, and
PostgreSQL wherever the OS puts it), wrk on core 1. Each row: the rate with the recorder
on over the rate with it off, for the same route; and how many samples that router then
stored or dropped (its queue full, or a write failed), read from its
``/_strangler/status``: a sample past the route's ``record_max_per_second`` or dropped
costs next to nothing, a stored one a copy of the body, a JSON parse, a schema inference
and its share of a batched INSERT on the router's core.

Run: ``make bench BENCH=recorder`` or ``python -m bench recorder``.

Example:
    >>> SETUPS["100%"]
    'recording_100_router_app'
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from contextlib import AbstractContextManager

from bench.database import fresh_database
from bench.harness import (
    Server,
    WrkResult,
    ensure_tool,
    machine_line,
    write_section,
)
from bench.router import all_running, factory_router, wrk_medians

SETUPS = {"off": "router_app", "10%": "recording_10_router_app", "100%": "recording_100_router_app"}
BENCH_DB = "strangler_bench_recorder"
ROUTES = (("new, 8 KB JSON", "/new/large"), ("legacy, 15 B JSON", "/legacy/hello"))


def routers(database_url: str) -> AbstractContextManager[dict[str, Server]]:
    """Every router on the same migrated database (windows, counters, recordings)."""
    env = {"DATABASE_URL": database_url}
    return all_running({name: factory_router(t, env) for name, t in SETUPS.items()})


def recorder_counts(server: Server) -> dict[str, int]:
    with urllib.request.urlopen(server.url("/_strangler/status"), timeout=5) as response:
        found: dict[str, int] = json.loads(response.read()).get("recorder", {})
    return found


def measure(
    servers: Mapping[str, Server], connections: int, seconds: float, rounds: int
) -> dict[str, WrkResult]:
    targets: dict[str, tuple[str, Mapping[str, str]]] = {
        f"{setup}|{path}": (servers[setup].url(path), {}) for _, path in ROUTES for setup in SETUPS
    }
    return wrk_medians(targets, connections, seconds, rounds)


def render(
    results: Mapping[str, WrkResult], counts: Mapping[str, dict[str, int]], note: str
) -> str:
    lines = [
        "## Traffic recorder (router, recording ÷ off)",
        "",
        machine_line(),
        "",
        note,
        "",
        "| route | off rps | 10% rps | 10% ÷ off | 100% rps | 100% ÷ off |",
        "|---|---|---|---|---|---|",
    ]
    for label, path in ROUTES:
        off, ten, full = (results[f"{setup}|{path}"] for setup in SETUPS)
        lines.append(
            f"| {label} | {off.rps:,.0f} | {ten.rps:,.0f} | x{ten.rps / off.rps:.2f} | "
            f"{full.rps:,.0f} | x{full.rps / off.rps:.2f} |"
        )
    lines.append("")
    for setup in ("10%", "100%"):
        seen = counts.get(setup, {})
        lines.append(
            f"- {setup}: {seen.get('stored', 0):,} samples stored, "
            f"{seen.get('limited', 0):,} past record_max_per_second, "
            f"{seen.get('dropped', 0):,} dropped over the whole run"
        )
    return "\n".join(lines)


def main(seconds: float = 5.0, rounds: int = 3, connections: int = 50) -> str:
    ensure_tool("wrk")
    with routers(fresh_database(BENCH_DB)) as servers:
        results = measure(servers, connections, seconds, rounds)
        counts = {setup: recorder_counts(servers[setup]) for setup in ("10%", "100%")}
    note = (
        f"Medians of {rounds} interleaved rounds of {seconds:.0f} s after a 2 s warm-up, wrk "
        f"-t2 -c{connections} on core 1; the routers under uvicorn on core 0, built as "
        "`strangler serve` builds them (access log, metrics, windows), recording into "
        'PostgreSQL with `[record_sample] "*"` at 10% and 100% (record_max_rows 200, '
        "record_max_per_second 10)."
    )
    body = render(results, counts, note)
    write_section("recorder", body)
    return body

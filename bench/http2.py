"""HTTP/1.1 against HTTP/2 with 100 concurrent streams (issue 13, items 3 and 4), and the
two ASGI servers that speak h2 (granian, hypercorn) against the uvicorn the router runs
under by default: the figures that picked granian for ``strangler serve --http2``.

The router (as ``strangler serve`` builds it) under each server on core 0; the load on
core 1. HTTP/1.1: wrk, 100 connections with one request in flight each. HTTP/2: h2load,
one connection with 100 streams in flight (h2c, prior knowledge). The two clients differ,
so a row with uvicorn driven by h2load's HTTP/1.1 shows what the client alone changes.
Every ratio is against uvicorn under wrk, measured in the same run.

Run: ``make bench BENCH=http2`` or ``python -m bench http2``.

Example:
    >>> [load.label for load in LOADS][:2]
    ['uvicorn, h1, wrk -c100', 'uvicorn, h1, h2load --h1 -c100']
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bench.harness import (
    H2loadResult,
    Server,
    ensure_tool,
    free_port,
    machine_line,
    run_h2load,
    run_wrk,
    write_section,
)
from bench.router import UVICORN_FLAGS, all_running, interleaved

CONCURRENCY = 100
PATHS = ("/new/hello", "/legacy/hello")


@dataclass(frozen=True)
class Load:
    label: str
    server: str
    client: str  # "wrk", "h2load-h1" or "h2"


LOADS = (
    Load("uvicorn, h1, wrk -c100", "uvicorn", "wrk"),
    Load("uvicorn, h1, h2load --h1 -c100", "uvicorn", "h2load-h1"),
    Load("granian, h1, wrk -c100", "granian", "wrk"),
    Load("granian, h2, 1 connection x 100 streams", "granian", "h2"),
    Load("hypercorn, h1, wrk -c100", "hypercorn", "wrk"),
    Load("hypercorn, h2, 1 connection x 100 streams", "hypercorn", "h2"),
)
BASELINE = LOADS[0].label


def _commands(port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "uvicorn": [python, "-m", "uvicorn", "bench.apps:router_app", "--factory", "--port",
                    str(port), "--lifespan", "on", *UVICORN_FLAGS],
        "granian": [python, "-m", "granian", "--interface", "asgi", "--http", "auto",
                    "--port", str(port), "--factory", "--log-level", "warning",
                    "bench.apps:router_app"],
        "hypercorn": [python, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}",
                      "--log-level", "warning", "bench.apps:router_app()"],
    }  # fmt: skip


def running() -> AbstractContextManager[dict[str, Server]]:
    servers = {}
    for name in ("uvicorn", "granian", "hypercorn"):
        port = free_port()
        servers[name] = Server(_commands(port)[name], port, health_path="/healthz")
    return all_running(servers)


def drive(server: Server, load: Load, path: str, seconds: float) -> H2loadResult:
    url = server.url(path)
    if load.client == "wrk":
        result = run_wrk(url, CONCURRENCY, seconds)
        return H2loadResult(result.rps, result.p50_ms, result.errors, result.requests)
    if load.client == "h2load-h1":
        return run_h2load(url, CONCURRENCY, 1, seconds, http1=True)
    return run_h2load(url, 1, CONCURRENCY, seconds)


def measure(
    servers: Mapping[str, Server], path: str, seconds: float, rounds: int
) -> dict[str, H2loadResult]:
    by_label = {load.label: load for load in LOADS}
    for load in LOADS:  # warm-up
        drive(servers[load.server], load, path, 2)
    samples: dict[str, list[H2loadResult]] = {load.label: [] for load in LOADS}
    for _, label in interleaved(list(by_label), rounds):
        load = by_label[label]
        samples[label].append(drive(servers[load.server], load, path, seconds))
    return {
        label: H2loadResult(
            statistics.median(r.rps for r in runs),
            statistics.median(r.mean_ms for r in runs),
            sum(r.errors for r in runs),
            sum(r.requests for r in runs),
        )
        for label, runs in samples.items()
    }


def render(results: Mapping[str, Mapping[str, H2loadResult]], note: str) -> str:
    lines = [
        "## HTTP/1.1 vs HTTP/2, 100 concurrent (router under uvicorn, granian, hypercorn)",
        "",
        machine_line(),
        "",
        note,
        "",
        "| setup | " + " | ".join(f"{path} rps | ÷ baseline" for path in PATHS) + " |",
        "|---|" + "---|---|" * len(PATHS),
    ]
    for load in LOADS:
        cells = []
        for path in PATHS:
            result, base = results[path][load.label], results[path][BASELINE]
            failed = f" ({result.errors} failed)" if result.errors else ""
            cells.append(f"{result.rps:,.0f}{failed} | x{result.rps / base.rps:.2f}")
        lines.append(f"| {load.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(seconds: float = 5.0, rounds: int = 3) -> str:
    ensure_tool("wrk")
    ensure_tool("h2load", "nghttp2-client")
    with running() as servers:
        results = {path: measure(servers, path, seconds, rounds) for path in PATHS}
    note = (
        f"Medians of {rounds} interleaved rounds of {seconds:.0f} s after a 2 s warm-up; each "
        "server one worker on core 0 serving the router as `strangler serve` builds it "
        "(access log, metrics, windows, shadow hook), the client on core 1 (wrk -t2, h2load "
        "-t1). 'failed': answers that were not 2xx/3xx or never came."
    )
    body = render(results, note)
    write_section("http2", body)
    return body

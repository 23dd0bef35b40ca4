"""Compression at the entrypoint (issue 13, item 4): the router with ``[compression]`` on
against the same router with it off, measured in the same run, interleaved.

Two routers under uvicorn on core 0, wrk on core 1. What each row says: the rate of the
router with compression on, over the rate of the router without it, for the same route and
``Accept-Encoding``; and the bytes a client then receives per answer. Compression costs the
router's core CPU and saves the network's bytes; on loopback only the cost shows.

Run: ``make bench BENCH=compression`` or ``python -m bench compression``.

Example:
    >>> Case("8 KB, gzip", "/new/large", "gzip").headers
    {'Accept-Encoding': 'gzip'}
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bench.harness import (
    Server,
    WrkResult,
    ensure_tool,
    machine_line,
    write_section,
)
from bench.router import all_running, factory_router, wrk_medians


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    accept: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Accept-Encoding": self.accept} if self.accept else {}


CASES = (
    Case("new, 8 KB, gzip", "/new/large", "gzip"),
    Case("new, 8 KB, br", "/new/large", "br"),
    Case("new, 8 KB, no Accept-Encoding", "/new/large", None),
    Case("new, 15 B (below minimum_size), gzip", "/new/hello", "gzip"),
    Case("legacy, 8 KB, gzip", "/legacy/large", "gzip"),
    Case("legacy, 8 KB, br", "/legacy/large", "br"),
)


def routers() -> AbstractContextManager[dict[str, Server]]:
    return all_running({"off": factory_router("router_app"),
                        "on": factory_router("compressed_router_app")})  # fmt: skip


def answer_bytes(server: Server, case: Case) -> int:
    request = urllib.request.Request(server.url(case.path), headers=case.headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return len(response.read())


def measure(
    servers: Mapping[str, Server], connections: int, seconds: float, rounds: int
) -> dict[str, WrkResult]:
    targets = {
        f"{side}|{case.label}": (servers[side].url(case.path), case.headers)
        for case in CASES
        for side in ("off", "on")
    }
    return wrk_medians(targets, connections, seconds, rounds)


def render(
    results: Mapping[str, WrkResult], sizes: Mapping[str, tuple[int, int]], note: str
) -> str:
    lines = [
        "## Compression at the entrypoint (router, compression on ÷ off)",
        "",
        machine_line(),
        "",
        note,
        "",
        "| route, Accept-Encoding | off rps | on rps | on ÷ off | bytes off | bytes on |",
        "|---|---|---|---|---|---|",
    ]
    for case in CASES:
        off, on = results[f"off|{case.label}"], results[f"on|{case.label}"]
        size_off, size_on = sizes[case.label]
        errors = off.errors + on.errors
        flag = f" ({errors} errors)" if errors else ""
        lines.append(
            f"| {case.label} | {off.rps:,.0f} | {on.rps:,.0f} | "
            f"x{on.rps / off.rps:.2f}{flag} | {size_off:,} | {size_on:,} |"
        )
    return "\n".join(lines)


def main(seconds: float = 5.0, rounds: int = 3, connections: int = 50) -> str:
    ensure_tool("wrk")
    with routers() as servers:
        sizes = {
            case.label: (answer_bytes(servers["off"], case), answer_bytes(servers["on"], case))
            for case in CASES
        }
        results = measure(servers, connections, seconds, rounds)
    note = (
        f"Medians of {rounds} interleaved rounds of {seconds:.0f} s after a 2 s warm-up, wrk "
        f"-t2 -c{connections} on core 1; both routers under uvicorn on core 0, built as "
        "`strangler serve` builds them (access log, metrics, windows); 'on' is `[compression] "
        "enabled = true` with the defaults (minimum_size 1024, gzip level 6, brotli quality 4). "
        "Bytes: one answer's body as received."
    )
    body = render(results, sizes, note)
    write_section("compression", body)
    return body

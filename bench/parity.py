"""Parity harness speed, in-process: read and write cases per second (noise run included).

Runs the reference read cases and write cases several times over, against the two
reference apps on the database in DATABASE_URL, and writes the "parity" section of
bench/RESULTS.md.
"""

from __future__ import annotations

import time

from bench.harness import machine_line, write_section
from parity_tests.cases import ParityCase, load_cases
from parity_tests.harness import RunOptions
from parity_tests.pair import reference_pair
from parity_tests.runner import run_cases

ROUNDS = 4


def _rate(cases: list[ParityCase], noise: bool) -> tuple[float, int]:
    results = run_cases(
        cases * ROUNDS, reference_pair(), options=RunOptions(noise=noise), last_run=None
    )
    assert all(r.passed for r in results), [r.explain() for r in results if not r.passed]
    busy = sum(r.seconds for r in results)
    return len(results) / busy, len(results)


def main() -> str:
    cases = load_cases()
    reads = [c for c in cases if c.kind == "read"]
    writes = [c for c in cases if c.kind == "write"]
    _rate(reads[:5], noise=False)  # warm-up: imports, the world, the change capture
    started = time.perf_counter()
    rows = [
        (kind, noise, *_rate(group, noise))
        for kind, group in (("read", reads), ("write", writes))
        for noise in (True, False)
    ]
    lines = [
        machine_line(),
        "",
        "Cases per second, in-process (WSGI legacy + ASGI port, one outer transaction per",
        "side, a savepoint per case); time per case summed, app start-up excluded.",
        "",
        "| cases | noise run (legacy twice) | cases run | cases/s |",
        "|---|---|---|---|",
        *[
            f"| {kind} | {'yes' if noise else 'no'} | {count} | {rate:.0f} |"
            for kind, noise, rate, count in rows
        ],
        "",
        "Target: >= 200 read cases/s, >= 50 write cases/s.",
        f"Total {time.perf_counter() - started:.1f} s.",
    ]
    body = "\n".join(lines)
    write_section("parity", body)
    return body

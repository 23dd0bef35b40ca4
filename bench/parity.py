"""Parity harness speed, in-process: read and write cases per second (noise run included).

Runs the reference read cases and write cases several times over, against the two
reference apps on a migrated database of its own beside DATABASE_URL's (the test
database may be mid-truncate under another run), and writes the "parity" section of
bench/RESULTS.md.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from bench.database import fresh_database
from bench.harness import machine_line, write_section
from parity_tests.cases import ParityCase, load_cases
from parity_tests.harness import RunOptions
from parity_tests.runner import run_cases
from payments_demo import CASES
from payments_demo.pair import reference_pair

ROUNDS = 4
BENCH_DB = "strangler_bench_parity"


def _fresh_database() -> str:
    """Recreated and migrated each run; the harness installs its world and triggers."""
    return fresh_database(BENCH_DB)


GOALS = {"read": 200.0, "write": 50.0}


@dataclass(frozen=True)
class Rate:
    kind: str
    noise: bool
    cases: int
    per_second: float
    cpu_ms: float  # process CPU per case: both apps, the harness, both threads
    second_runs: int  # cases that differed, so legacy ran again for noise

    @property
    def row(self) -> str:
        goal = GOALS[self.kind]
        met = "yes" if self.per_second >= goal else "**no**"
        return (
            f"| {self.kind} | {'yes' if self.noise else 'no'} | {self.cases} | "
            f"{self.second_runs} | {self.cpu_ms:.2f} | {self.per_second:.0f} | {goal:.0f} | {met} |"
        )


def _rate(kind: str, cases: list[ParityCase], noise: bool) -> Rate:
    cpu = time.process_time()
    results = run_cases(
        cases * ROUNDS, reference_pair(), CASES, RunOptions(noise=noise), last_run=None
    )
    cpu = time.process_time() - cpu
    assert all(r.passed for r in results), [r.explain() for r in results if not r.passed]
    busy = sum(r.seconds for r in results)
    second_runs = sum(1 for r in results if r.mismatches) if noise else 0
    return Rate(
        kind, noise, len(results), len(results) / busy, 1000 * cpu / len(results), second_runs
    )


def _miss_note(rate: Rate) -> str:
    busy_ms = 1000 / rate.per_second
    return (
        f"- {rate.kind} cases{' with noise runs' if rate.noise else ''}: "
        f"{rate.per_second:.0f}/s, {busy_ms:.2f} ms per case of which {rate.cpu_ms:.2f} ms "
        "is this process's CPU (app start-up included), which alone would allow "
        f"{1000 / rate.cpu_ms:.0f}/s. Both apps run in one interpreter, so their Python work "
        "shares one GIL (the legacy Flask app is about two thirds of it); the rest of the "
        "case is waiting for PostgreSQL or for a core: the machine's two cores also serve "
        "PostgreSQL and whatever else runs beside the bench (the load average is in the "
        "report of the run)."
    )


def main() -> str:
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    os.environ["DATABASE_URL"] = _fresh_database()  # reference_pair() reads it
    cases = load_cases(CASES)
    reads = [c for c in cases if c.kind == "read"]
    writes = [c for c in cases if c.kind == "write"]
    _rate("read", reads[:5], noise=False)  # warm-up: imports, the world, the change capture
    started = time.perf_counter()
    rates = [
        _rate(kind, group, noise)
        for kind, group in (("read", reads), ("write", writes))
        for noise in (True, False)
    ]
    misses = [_miss_note(rate) for rate in rates if rate.per_second < GOALS[rate.kind]]
    lines = [
        machine_line(),
        f"Load average when the bench started (1 / 5 / 15 min): {load}.",
        "",
        f"Cases per second, in-process, each case list run {ROUNDS} times over with fresh",
        "apps: WSGI legacy + ASGI port, one outer transaction per side, a savepoint per",
        "case. Reads run in batches, the two sides at once (legacy on its own thread);",
        "writes run alone, one side after the other. The noise run (legacy a second time)",
        "happens for every case whose two sides differ. Rate = cases / busy time (the sum",
        "of per-case times; a batch shares its wall time among its cases), app start-up",
        "excluded, the first (cold) round included.",
        "",
        "| cases | noise run | cases run | 2nd legacy runs | CPU ms/case | cases/s | goal | met |",
        "|---|---|---|---|---|---|---|---|",
        *[rate.row for rate in rates],
        "",
        f"Total {time.perf_counter() - started:.1f} s.",
    ]
    if misses:
        lines += ["", "Missed goals:", "", *misses]
    body = "\n".join(lines)
    write_section("parity", body)
    return body

"""Capacity of the side-by-side deployment (issue 8): requests/s and p50/p99 for
legacy-only, half-migrated and fully-migrated layouts at c=50/200/1000.

Each layout is one ``strangler up`` (router in remote mode, gunicorn, uvicorn, flags in
PostgreSQL) pinned to core 0; wrk on core 1 drives a read-mostly mix (account, summary,
payment list and payment reads; every 10th request creates a payment) on a seeded
database. Runs are bounded in time and loopback only.

Run: ``make bench BENCH=capacity`` or ``python -m bench capacity``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.database import seeded_database
from bench.deployment import DEPLOY_DB, LAYOUTS, Deployment, Workers
from bench.harness import WrkResult, machine_line, run_wrk, write_section
from payments_demo.seed import Dataset

LUA = Path(__file__).parent / "lua"
CONNECTIONS = (50, 200, 1000)
WORKERS = Workers()
LATENCY_NOTE = (
    "wrk's percentiles cover every answer, errors included: where errors dominate (c=1000)"
    " they describe fast refusals more than served requests; the 2xx/3xx column is the"
    " throughput that counts. Everything runs on one core, so p99 is queueing behind the"
    " three tiers' processes as much as request cost."
)


@dataclass(frozen=True)
class Row:
    layout: str
    connections: int
    result: WrkResult


def owner_paths(data: Dataset) -> tuple[str, list[int], list[str]]:
    owner = data.owners[0]
    accounts = [row[0] for row in data.accounts if row[1] == owner["owner"]]
    payments = [row[0] for row in data.payments if row[1] in set(accounts)][:50]
    paths = [f"/api/v1/accounts/{a}" for a in accounts]
    paths += [f"/api/v1/accounts/{a}/summary" for a in accounts]
    paths += [f"/api/v1/payments?account_id={a}" for a in accounts]
    paths += [f"/api/v1/payments/{p}" for p in payments]
    return f"Bearer {owner['api_key']}", accounts, paths


def mix_script(tmp: Path, data: Dataset) -> Path:
    auth, accounts, paths = owner_paths(data)
    currency = {row[0]: row[2] for row in data.accounts}
    prelude = (
        "paths = {" + ", ".join(f'"{p}"' for p in paths) + "}\n"
        "accounts = {" + ", ".join(str(a) for a in accounts) + "}\n"
        "currency_of = {" + ", ".join(f'[{a}] = "{currency[a]}"' for a in accounts) + "}\n"
        f'auth = "{auth}"\nrun_id = "{secrets.token_hex(4)}"\n'
    )
    script = tmp / "mix.lua"
    script.write_text(prelude + (LUA / "mix.lua").read_text())
    return script


def measure_layout(url: str, layout: str, script: Path, seconds: float) -> list[Row]:
    rows = []
    with Deployment(url, layout, WORKERS) as deployment:
        run_wrk(deployment.url("/_strangler/healthz"), 50, 2)  # warm workers and pools
        for connections in CONNECTIONS:
            result = run_wrk(deployment.url("/"), connections, seconds, script=script)
            rows.append(Row(layout, connections, result))
            print(f"capacity: {layout} c={connections}: {result}", flush=True)
    return rows


def report(rows: list[Row], seconds: float) -> str:
    lines = [
        "## Capacity of the side-by-side deployment (issue 8)",
        "",
        f"Measured {machine_line()}. `strangler up` ({WORKERS.describe()} workers; router in"
        " remote mode; flags in PostgreSQL) pinned to core 0, wrk (2 threads, 5 s timeout)"
        f" on core 1, {seconds:.0f} s per run. Mix: 90% reads over account, summary, payment"
        " list and payment reads of one owner, 10% payment creates; seeded 1,000 accounts /"
        " 20,000 payments. Half-migrated = account read, summary, payment read, transfers,"
        " account create and /me on the port.",
        "",
        "| layout | connections | requests/s | of which 2xx/3xx | p50 ms | p99 ms "
        "| errors (socket + non-2xx) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r = row.result
        lines.append(
            f"| {row.layout} | {row.connections} | {r.rps:,.0f} | {good_rps(r):,.0f}"
            f" | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} |"
        )
    lines += ["", _p99_line(rows), "", LATENCY_NOTE]
    return "\n".join(lines)


def good_rps(result: WrkResult) -> float:
    """Requests/s that got an answer other than an error: overload answers fast with 503s."""
    if result.requests == 0:
        return 0.0
    return result.rps * max(0, result.requests - result.errors) / result.requests


def _p99_line(rows: list[Row]) -> str:
    by = {(row.layout, row.connections): row.result for row in rows}
    parts = []
    for connections in CONNECTIONS:
        old, new = by[("legacy-only", connections)], by[("fully-migrated", connections)]
        parts.append(f"c={connections}: {old.p99_ms:.0f} → {new.p99_ms:.0f} ms")
    return "P99 legacy-only → fully-migrated (the seeds report 800 → 150 ms): " + "; ".join(parts)


def main(seconds: float = 8.0) -> str:
    url, data = seeded_database(accounts=1_000, payments_per_account=20, name=DEPLOY_DB)
    rows: list[Row] = []
    with TemporaryDirectory() as tmp:
        script = mix_script(Path(tmp), data)
        for layout in LAYOUTS:
            rows += measure_layout(url, layout, script, seconds)
    body = report(rows, seconds)
    write_section("capacity", body)
    return body

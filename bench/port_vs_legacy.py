"""The port against legacy on real queries: 10k accounts, 200k payments, c=100.

Legacy runs under gunicorn with its documented config, the port under uvicorn, with the
same worker count, on the same core and the same seeded database. Both servers stay up
for the whole run and every endpoint is measured in interleaved rounds (legacy, port,
legacy, port, ...), reporting medians: on this shared machine the load from other work
changes within seconds, and back-to-back blocks would hand one side the quiet minute.
Reported as port ÷ legacy ratios from the same run (goals: reads >= 3x requests/s and
p99 <= 0.2x, summary >= 10x, writes no slower).

wrk is closed-loop: at c=100 each side's p99 is mostly its queue, 100 ÷ its own rps. So
each endpoint is also driven at an equal offered load, half of legacy's measured rps
(every connection waits a jittered pause between requests), and both p99s are reported
there: the latency a client sees at a load both sides can carry.

Run: ``make bench`` or ``python -m strangler.devenv test -- python -m bench port``.
"""

from __future__ import annotations

import math
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.database import seeded_database
from bench.harness import (
    Server,
    WrkResult,
    free_port,
    machine_line,
    median_of,
    run_wrk,
    write_section,
)
from payments_demo.seed import Dataset

LUA = Path(__file__).parent / "lua"
WORKERS = 2
CONNECTIONS = 100
ROUNDS = 3
EQUAL_LOAD_SHARE = 0.5  # of legacy's closed-loop rps
PAUSE_MS = 50.0  # mean pause per connection at equal load; connections = rate x pause


@dataclass(frozen=True)
class Endpoint:
    name: str
    kind: str  # read | summary | write
    paths: tuple[str, ...] = ()


def endpoints(accounts: list[int], payment_ids: list[str]) -> list[Endpoint]:
    return [
        Endpoint("account read", "read", tuple(f"/api/v1/accounts/{a}" for a in accounts)),
        Endpoint(
            "payment list", "read", tuple(f"/api/v1/payments?account_id={a}" for a in accounts)
        ),
        Endpoint("payment read", "read", tuple(f"/api/v1/payments/{p}" for p in payment_ids)),
        Endpoint("summary", "summary", tuple(f"/api/v1/accounts/{a}/summary" for a in accounts)),
        Endpoint("payment create", "write"),
    ]


def _lua_list(values: list[str]) -> str:
    return "{" + ", ".join(values) + "}"


def _pause_prelude(pause_ms: float | None) -> str:
    """wrk calls ``delay()`` before each request; jittered so connections do not march in step."""
    if pause_ms is None:
        return ""
    return (
        f"local pause_ms = {pause_ms:.3f}\n"
        "delay = function() return math.random() * 2 * pause_ms end\n"
    )


def write_script(
    tmp: Path, endpoint: Endpoint, data: Dataset, auth: str, pause_ms: float | None = None
) -> Path:
    owner_accounts = [row for row in data.accounts if row[1] == data.owners[0]["owner"]]
    if endpoint.kind == "write":
        prelude = (
            f"accounts = {_lua_list([str(row[0]) for row in owner_accounts])}\n"
            "currency_of = {"
            + ", ".join(f'[{row[0]}] = "{row[2]}"' for row in owner_accounts)
            + "}\n"
            f'auth = "{auth}"\nrun_id = "{secrets.token_hex(4)}"\n'
        )
        source = (LUA / "create_payment.lua").read_text()
    else:
        prelude = (
            f"paths = {_lua_list([repr(p).replace(chr(39), chr(34)) for p in endpoint.paths])}\n"
        )
        prelude += f'auth = "{auth}"\n'
        source = (LUA / "rotate.lua").read_text()
    suffix = "" if pause_ms is None else "_paced"
    script = tmp / f"{endpoint.name.replace(' ', '_')}{suffix}.lua"
    script.write_text(_pause_prelude(pause_ms) + prelude + source)
    return script


def legacy_server(url: str, port: int) -> Server:
    command = [
        "gunicorn",
        "--config",
        "python:legacy_flask.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "legacy_flask.wsgi:app",
    ]
    return Server(command, port, "/healthz", env={"DATABASE_URL": url})


def port_server(url: str, port: int) -> Server:
    command = [
        "uvicorn",
        "fastapi_app.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(command, port, "/healthz", env={"DATABASE_URL": url})


@dataclass(frozen=True)
class Pair:
    """One endpoint's medians for both sides, and both p99s at an equal offered load."""

    legacy: WrkResult
    port: WrkResult
    paced_rps: float
    legacy_paced: WrkResult
    port_paced: WrkResult


ScriptMaker = Callable[[float | None], Path]


def _run(
    server: Server,
    make_script: ScriptMaker,
    seconds: float,
    pause_ms: float | None = None,
    connections: int = CONNECTIONS,
) -> WrkResult:
    # a fresh script per run: the write script's Idempotency-Keys must never repeat
    return run_wrk(server.url("/"), connections, seconds, script=make_script(pause_ms))


def _interleaved(
    servers: tuple[Server, Server], make_script: ScriptMaker, seconds: float, rounds: int
) -> tuple[WrkResult, WrkResult]:
    runs: dict[int, list[WrkResult]] = {0: [], 1: []}
    for _ in range(rounds):
        for side, server in enumerate(servers):
            runs[side].append(_run(server, make_script, seconds))
    return _median(runs[0]), _median(runs[1])


def _median(results: list[WrkResult]) -> WrkResult:
    replay = iter(results)
    return median_of(len(results), lambda: next(replay))


def measure_pair(
    servers: tuple[Server, Server], make_script: ScriptMaker, seconds: float, rounds: int
) -> Pair:
    for server in servers:
        run_wrk(server.url("/healthz"), CONNECTIONS, 1)  # warm the workers and pools
    legacy, port = _interleaved(servers, make_script, seconds, rounds)
    rate = max(legacy.rps * EQUAL_LOAD_SHARE, 1.0)
    connections = max(2, min(CONNECTIONS, math.ceil(rate * PAUSE_MS / 1000.0)))
    pause_ms = 1000.0 * connections / rate
    legacy_paced, port_paced = (
        _run(server, make_script, 2 * seconds, pause_ms, connections) for server in servers
    )
    return Pair(legacy, port, rate, legacy_paced, port_paced)


# Why a goal can be missed, from profiles of the port (py-spy on one uvicorn worker, the
# bench's Lua scripts at c=50, the seeded database); printed under the table for each miss.
P99_NOTE = (
    "closed-loop wrk keeps all {c} connections busy, so each side's p99 is its queue: about "
    "(p99/mean) x {c} / rps. Legacy's sync workers take connections from the kernel's FIFO "
    "accept queue (p99 ~1.3-2x its mean here); the port's event loop holds ~50 connections "
    "per worker and shares the CPU between them, and its workers split them unevenly (60/40 "
    "seen with ss) and share core 0 with whatever else runs there, so its p99 is 3-6x its "
    "mean. 0.2x would need >= 5x rps at the same tail shape. The equal-load columns give "
    "the p99 ratio at a load both sides carry."
)
RPS_NOTES = {
    "payment list": (
        "after the fixes a list is one PostgreSQL round trip (page, refunds as an array "
        "column and the 404/403 check in one query; no Redis, the API key from the "
        "in-process cache). py-spy --native on a worker: ~18% in write() (loopback sends; "
        "the kernel work of both ends is charged to the sender), ~10% JSON encoding with "
        "sort_keys + ensure_ascii (the contract's bytes) and row-to-dict building, ~30% "
        "uvicorn/Starlette/FastAPI request handling, and PostgreSQL re-plans the query on "
        "every call (custom plans, 0.2-0.9 ms) on the same two cores. What is left is "
        "per-row Python work and framework overhead, not round trips."
    ),
    "summary": (
        "the summary is one aggregate query (legacy: one query per payment); the port's "
        "cost is the framework path plus that query's execution on the shared cores."
    ),
}
DEFAULT_RPS_NOTE = (
    "the remaining per-request cost is uvicorn/Starlette/FastAPI request handling and "
    "the loopback round trip (Redis or PostgreSQL); see the profile notes above."
)


FIXES_NOTE = (
    "What the port fixed, measured with py-spy on one worker (share of the worker's "
    "samples before the fix, account read unless said): the API key lookup, a PostgreSQL "
    "round trip per request, now a 5 s in-process cache of sha256(key) -> owner (14.5%; "
    "`API_KEY_CACHE_SECONDS`, revocation honoured within it); asyncpg's reset query on every "
    "pool release, a second round trip (13.7%; the port keeps no session state to reset); "
    "the garbage collector, which spent ~17% of the CPU with full collections stalling "
    "the loop up to 135 ms (now `gc.freeze()` after start-up and a gen-0 threshold of "
    "20,000); a payment list's second query for refunds and its Redis ownership check "
    "(now one query). uvloop and httptools are in use; responses are rendered once by "
    "json.dumps, without pydantic validation."
)


def missed_goals(eps: list[Endpoint], pairs: dict[str, Pair]) -> list[str]:
    wanted = {"read": 3.0, "summary": 10.0, "write": 1.0}
    notes: list[str] = []
    for ep in eps:
        pair = pairs[ep.name]
        rps_ratio = pair.port.rps / pair.legacy.rps if pair.legacy.rps else 0.0
        if rps_ratio < wanted[ep.kind]:
            note = RPS_NOTES.get(ep.name, DEFAULT_RPS_NOTE)
            notes.append(f"- {ep.name}, rps {rps_ratio:.2f}x: {note}")
        if ep.kind == "read" and pair.port.p99_ms > 0.2 * pair.legacy.p99_ms:
            paced = _ratio(pair.port_paced.p99_ms, pair.legacy_paced.p99_ms)
            ratio = _ratio(pair.port.p99_ms, pair.legacy.p99_ms)
            notes.append(f"- {ep.name}, p99 {ratio} (at equal load {paced}): see the p99 note.")
    if any("p99 note" in note for note in notes):
        notes.append(f"- p99 note: {P99_NOTE.format(c=CONNECTIONS)}")
    return notes


def _ratio(new: float, old: float) -> str:
    return f"{new / old:.2f}x" if old > 0 else "n/a"


def report(eps: list[Endpoint], pairs: dict[str, Pair], seconds: float, rounds: int) -> str:
    goals = {"read": ">= 3x rps, p99 <= 0.2x", "summary": ">= 10x rps", "write": ">= 1x rps"}
    lines = [
        "## Port vs legacy (issue 4)",
        "",
        f"Measured {machine_line()}. Seeded 10k accounts / 200k payments, c={CONNECTIONS}, "
        f"{WORKERS} workers each (legacy: gunicorn + psycopg2; port: uvicorn + asyncpg"
        f"{' + Redis' if os.environ.get('REDIS_URL') else ', no Redis'}), servers on core 0, "
        f"wrk on core 1. Medians of {rounds} interleaved rounds of {seconds:.0f} s per side. "
        f"Equal load: both sides offered {EQUAL_LOAD_SHARE:.0%} of legacy's rps "
        f"(rate x {PAUSE_MS:.0f} ms connections, each pausing {PAUSE_MS:.0f} ms on average "
        f"between requests), one round of {2 * seconds:.0f} s each.",
        "",
        "| endpoint | legacy rps | port rps | rps ratio | legacy p99 ms | port p99 ms "
        "| p99 ratio | goal | equal load rps | p99 ms at equal load (legacy/port) "
        "| ratio | errors (legacy/port) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ep in eps:
        pair = pairs[ep.name]
        old, new = pair.legacy, pair.port
        paced_old, paced_new = pair.legacy_paced, pair.port_paced
        errors = (old.errors + paced_old.errors, new.errors + paced_new.errors)
        lines.append(
            f"| {ep.name} | {old.rps:,.0f} | {new.rps:,.0f} | {_ratio(new.rps, old.rps)} "
            f"| {old.p99_ms:.1f} | {new.p99_ms:.1f} | {_ratio(new.p99_ms, old.p99_ms)} "
            f"| {goals[ep.kind]} | {pair.paced_rps:,.0f} "
            f"| {paced_old.p99_ms:.1f} / {paced_new.p99_ms:.1f} "
            f"| {_ratio(paced_new.p99_ms, paced_old.p99_ms)} | {errors[0]}/{errors[1]} |"
        )
    notes = missed_goals(eps, pairs)
    if notes:
        lines += ["", "Missed goals:", "", *notes]
    lines += ["", FIXES_NOTE]
    return "\n".join(lines)


def main(seconds: float = 4.0, rounds: int = ROUNDS) -> str:
    url, data = seeded_database(accounts=10_000, payments_per_account=20)
    owner = data.owners[0]
    auth = f"Bearer {owner['api_key']}"
    owner_accounts = [row[0] for row in data.accounts if row[1] == owner["owner"]]
    payment_ids = [row[0] for row in data.payments if row[1] in set(owner_accounts)]
    eps = endpoints(owner_accounts, payment_ids[:50])
    pairs: dict[str, Pair] = {}
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with legacy_server(url, free_port()) as legacy, port_server(url, free_port()) as port:
            for ep in eps:

                def make_script(pause_ms: float | None, ep: Endpoint = ep) -> Path:
                    return write_script(folder, ep, data, auth, pause_ms)

                pairs[ep.name] = measure_pair((legacy, port), make_script, seconds, rounds)
                print(f"{ep.name}: {pairs[ep.name]}", file=sys.stderr, flush=True)
    body = report(eps, pairs, seconds, rounds)
    write_section("port", body)
    return body

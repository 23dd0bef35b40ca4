"""The port against legacy on real queries: 10k accounts, 200k payments, c=100.

Legacy runs under gunicorn with its documented config, the port under uvicorn, with the
same worker count, one after the other on the same core and the same seeded database.
Reported as port ÷ legacy ratios from the same run (goals: reads >= 3x requests/s and
p99 <= 0.2x, summary >= 10x, writes no slower).

Run: ``make bench`` or ``python -m strangler.devenv test -- python -m bench port``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.database import seeded_database
from bench.harness import Server, WrkResult, free_port, machine_line, run_wrk, write_section
from strangler.db.seed import Dataset

LUA = Path(__file__).parent / "lua"
WORKERS = 2
CONNECTIONS = 100


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


def write_script(tmp: Path, endpoint: Endpoint, data: Dataset, auth: str) -> Path:
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
    script = tmp / f"{endpoint.name.replace(' ', '_')}.lua"
    script.write_text(prelude + source)
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


def measure(server: Server, scripts: dict[str, Path], seconds: float) -> dict[str, WrkResult]:
    results: dict[str, WrkResult] = {}
    with server:
        for name, script in scripts.items():
            run_wrk(server.url("/healthz"), CONNECTIONS, 1)  # warm the workers and pools
            results[name] = run_wrk(server.url("/"), CONNECTIONS, seconds, script=script)
    return results


def report(eps: list[Endpoint], legacy: dict[str, WrkResult], port: dict[str, WrkResult]) -> str:
    goals = {"read": ">= 3x rps, p99 <= 0.2x", "summary": ">= 10x rps", "write": ">= 1x rps"}
    lines = [
        "## Port vs legacy (issue 4)",
        "",
        f"Measured {machine_line()}. Seeded 10k accounts / 200k payments, c={CONNECTIONS}, "
        f"{WORKERS} workers each (legacy: gunicorn + psycopg2; port: uvicorn + asyncpg"
        f"{' + Redis' if os.environ.get('REDIS_URL') else ', no Redis'}), servers on core 0, "
        "wrk on core 1.",
        "",
        "| endpoint | legacy rps | port rps | rps ratio | legacy p99 ms | port p99 ms "
        "| p99 ratio | goal | errors (legacy/port) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ep in eps:
        old, new = legacy[ep.name], port[ep.name]
        lines.append(
            f"| {ep.name} | {old.rps:,.0f} | {new.rps:,.0f} | {new.rps / old.rps:.2f}x "
            f"| {old.p99_ms:.1f} | {new.p99_ms:.1f} | {new.p99_ms / old.p99_ms:.2f}x "
            f"| {goals[ep.kind]} | {old.errors}/{new.errors} |"
        )
    return "\n".join(lines)


def main(seconds: float = 8.0) -> str:
    url, data = seeded_database(accounts=10_000, payments_per_account=20)
    owner = data.owners[0]
    auth = f"Bearer {owner['api_key']}"
    owner_accounts = [row[0] for row in data.accounts if row[1] == owner["owner"]]
    payment_ids = [row[0] for row in data.payments if row[1] in set(owner_accounts)]
    eps = endpoints(owner_accounts, payment_ids[:50])
    with TemporaryDirectory() as tmp:
        scripts = {ep.name: write_script(Path(tmp), ep, data, auth) for ep in eps}
        legacy = measure(legacy_server(url, free_port()), scripts, seconds)
        port = measure(port_server(url, free_port()), scripts, seconds)
    body = report(eps, legacy, port)
    write_section("port", body)
    return body

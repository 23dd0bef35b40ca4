"""Faults under load (issue 8, A20): the side-by-side deployment with half the routes on
the port, soaked at ~80% of its measured capacity while, in turn, a legacy gunicorn
worker is killed, PostgreSQL is restarted, Redis is stopped and started, and the flag
provider is stopped and started (the supervisor brings it back).

Pass: every 2xx write is in the database exactly once; every balance equals its ledger sum
(and none is negative); read routes serve no 5xx outside the seconds PostgreSQL is down;
the router is ready again by itself. PostgreSQL and Redis are left running whatever
happens (other engineers' tests use them). Loopback only, bounded in time.

Run: ``make bench BENCH=faults`` or ``python -m bench faults`` (not part of ``all``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil
import psycopg2
from sqlalchemy.engine import make_url

from bench.database import seeded_database
from bench.deployment import DEPLOY_DB, Deployment, Workers
from bench.harness import CLIENT_CORE, machine_line, write_section
from bench.loadgen import Mix, Outcome, closed_loop, open_loop
from payments_demo.seed import Dataset
from strangler.deploy.supervisor import healthy
from strangler.unleash_local import unleash_home

SOAK_SECONDS = 110.0
LOAD_SHARE = 0.8
FAULT_OFFSETS = (10.0, 30.0, 55.0, 80.0)  # seconds into the soak, one per fault
PG_GRACE = 2.0  # seconds after PostgreSQL answers again for pools to reconnect
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip
PG_CLUSTER = ("15", "main")
PG_TIMEOUT = 180.0


@dataclass
class Injection:
    name: str
    at: float = 0.0  # seconds into the soak
    outage: float = 0.0  # seconds until the thing answered again
    note: str = ""
    skipped: bool = False


@dataclass
class Soak:
    deployment: Deployment
    database_url: str
    t0: float = 0.0
    injections: list[Injection] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.t0


# --- the faults ----------------------------------------------------------------------


def kill_legacy_worker(soak: Soak) -> Injection:
    master = psutil.Process(soak.deployment.pids()["legacy"])
    workers = master.children()
    injection = Injection("legacy gunicorn worker SIGKILL", soak.now())
    workers[0].kill()
    _wait(lambda: len(master.children()) >= len(workers) and workers[0].pid not in
          {w.pid for w in master.children()})  # fmt: skip
    injection.outage = soak.now() - injection.at
    injection.note = f"pid {workers[0].pid}; gunicorn re-forked it"
    return injection


def restart_postgres(soak: Soak) -> Injection:
    injection = Injection("PostgreSQL restart", soak.now())
    reason = _not_local_postgres(soak.database_url)
    if reason:
        return Injection(injection.name, injection.at, note=f"skipped: {reason}", skipped=True)
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, "restart"]
    # A loaded machine can take over a minute to shut down (checkpoint sync): pg_ctl then
    # gives up before the start half, so start it ourselves if it is not back.
    restarted = subprocess.run(command, timeout=PG_TIMEOUT, capture_output=True, check=False)
    if not _postgres_answers(soak.database_url):
        _start_postgres(soak.database_url)
    _wait(lambda: _postgres_answers(soak.database_url), timeout=PG_TIMEOUT)
    injection.outage = soak.now() - injection.at
    how = "restart" if restarted.returncode == 0 else "restart timed out, then start"
    injection.note = f"pg_ctlcluster {how} (fast shutdown: every session cut)"
    return injection


def restart_redis(soak: Soak) -> Injection:
    injection = Injection("Redis stop + start", soak.now())
    if not _local_redis():
        return Injection(injection.name, injection.at, note="skipped: no local Redis", skipped=True)
    subprocess.run(["redis-cli", "shutdown", "nosave"], timeout=10, capture_output=True)
    time.sleep(3)
    _start_redis()
    injection.outage = soak.now() - injection.at
    injection.note = "redis-cli shutdown nosave; 3 s down; redis-server started again"
    return injection


def restart_flag_provider(soak: Soak) -> Injection:
    injection = Injection("flag provider stop + start", soak.now())
    if not soak.deployment.unleash:
        note = "skipped: embedded flags live in PostgreSQL (covered by its restart)"
        return Injection(injection.name, injection.at, note=note, skipped=True)
    pid = soak.deployment.pids()["unleash"]
    os.killpg(pid, signal.SIGTERM)
    health = f"http://127.0.0.1:{soak.deployment.ports['unleash']}/health"
    _wait(lambda: soak.deployment.pids()["unleash"] != pid and healthy(health), timeout=90)
    injection.outage = soak.now() - injection.at
    injection.note = "Unleash SIGTERM; the supervisor restarted it"
    return injection


FAULTS: tuple[Callable[[Soak], Injection], ...] = (
    kill_legacy_worker,
    restart_postgres,
    restart_redis,
    restart_flag_provider,
)


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("fault did not clear in time")
        time.sleep(0.1)


def _not_local_postgres(database_url: str) -> str:
    url = make_url(database_url)
    if url.host not in ("127.0.0.1", "localhost") or (url.port or 5432) != 5432:
        return f"DATABASE_URL is not the local server ({url.host}:{url.port})"
    if os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        return "pg_ctlcluster unavailable (needs root and Debian's postgresql-common)"
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    if not any(line.split()[:3] == [*PG_CLUSTER, "5432"] for line in listing.splitlines()):
        return "cluster 15/main is not the one on port 5432"
    return ""


def _start_postgres(database_url: str) -> None:
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, "start"]
    for _ in range(60):  # "start" fails while a slow shutdown is still under way
        if _postgres_answers(database_url):
            return
        subprocess.run(command, timeout=PG_TIMEOUT, capture_output=True, check=False)
        time.sleep(2)


def _postgres_answers(database_url: str) -> bool:
    try:
        psycopg2.connect(database_url, connect_timeout=1).close()
    except psycopg2.Error:
        return False
    return True


def _local_redis() -> bool:
    url = os.environ.get("REDIS_URL", "")
    return url.startswith(("redis://127.0.0.1:6379", "redis://localhost:6379"))


def _redis_answers() -> bool:
    ping = subprocess.run(["redis-cli", "ping"], capture_output=True, text=True, timeout=5)
    return ping.stdout.strip() == "PONG"


def _start_redis() -> None:
    subprocess.run(REDIS_START, timeout=10, capture_output=True)
    _wait(_redis_answers, timeout=15)


@contextmanager
def services_left_running(database_url: str) -> Iterator[None]:
    """Whatever happens in the soak, PostgreSQL and Redis are up afterwards."""
    try:
        yield
    finally:
        if not _not_local_postgres(database_url) and not _postgres_answers(database_url):
            _start_postgres(database_url)
        if _local_redis() and shutil.which("redis-cli") and not _redis_answers():
            _start_redis()


# --- the soak ------------------------------------------------------------------------


def build_mix(data: Dataset) -> Mix:
    owner = data.owners[0]
    mine = [row for row in data.accounts if row[1] == owner["owner"]]
    accounts = [(row[0], row[2]) for row in mine]
    by_currency: dict[str, list[int]] = {}
    for account, currency in accounts:
        by_currency.setdefault(currency, []).append(account)
    pairs = [(ids[i], ids[i + 1], money) for money, ids in by_currency.items()
             for i in range(0, len(ids) - 1, 2)]  # fmt: skip
    payments = [row[0] for row in data.payments if row[1] in {a for a, _ in accounts}][:100]
    return Mix(f"Bearer {owner['api_key']}", accounts, pairs, payments, secrets.token_hex(4))


def inject_in_turn(soak: Soak, stop: threading.Event) -> None:
    for offset, fault in zip(FAULT_OFFSETS, FAULTS, strict=True):
        while soak.now() < offset:
            if stop.wait(0.1):
                return
        try:
            injection = fault(soak)
        except Exception as exc:  # a fault that misfires is reported, not fatal to the run
            injection = Injection(fault.__name__, soak.now(), note=f"failed: {exc!r}")
        soak.injections.append(injection)
        print(f"faults: {injection}", flush=True)


def run_soak(soak: Soak, mix: Mix, rate: float) -> list[Outcome]:
    stop = threading.Event()
    soak.t0 = time.monotonic()
    injector = threading.Thread(target=inject_in_turn, args=(soak, stop), daemon=True)
    injector.start()
    try:
        return asyncio.run(open_loop(soak.deployment.url(""), mix, rate, SOAK_SECONDS))
    finally:
        stop.set()
        injector.join(timeout=120)


def recovery_seconds(deployment: Deployment, timeout: float = 30.0) -> float | None:
    """Seconds until the router is ready again by itself after the soak, or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if healthy(deployment.url("/_strangler/readyz")):
            return time.monotonic() - started
        time.sleep(0.2)
    return None


# --- the verdict ---------------------------------------------------------------------


@dataclass
class Verdict:
    name: str
    passed: bool
    detail: str


def check_writes(database_url: str, outcomes: list[Outcome], run_id: str) -> list[Verdict]:
    ok = [o for o in outcomes if o.request.is_write and o.status and 200 <= o.status < 300]
    payments = [o.created_id for o in ok if o.request.kind == "payment create"]
    transfers = [o.created_id for o in ok if o.request.kind == "transfer create"]
    keys = [o.request.key for o in ok]
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT p.id, count(l.id) FROM payments p LEFT JOIN ledger_entries l"
                    " ON l.ref_id = p.id AND l.kind = 'payment' WHERE p.id = ANY(%s)"
                    " GROUP BY p.id", (payments,))  # fmt: skip
        payment_rows = dict(cur.fetchall())
        cur.execute(
            "SELECT t.id, count(l.id) FROM transfers t LEFT JOIN ledger_entries l"
            " ON l.ref_id = t.id WHERE t.id = ANY(%s) GROUP BY t.id",
            (transfers,),
        )
        transfer_rows = dict(cur.fetchall())
        cur.execute(
            "SELECT key, count(*) FROM idempotency_keys WHERE key = ANY(%s)"
            " AND response_status BETWEEN 200 AND 299 GROUP BY key",
            (keys,),
        )
        key_rows = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM payments WHERE merchant = %s", (f"Soak {run_id}",))
        committed_payments = int(cur.fetchone()[0])  # type: ignore[index]
    missing = [p for p in payments if payment_rows.get(p) != 1]
    missing += [t for t in transfers if transfer_rows.get(t) != 2]
    bad_keys = [k for k in keys if key_rows.get(k) != 1]
    ambiguous = committed_payments - len(payments)
    return [
        Verdict(
            "every 2xx write in the database exactly once",
            not missing and not bad_keys and len(set(payments)) == len(payments),
            f"{len(payments)} payments + {len(transfers)} transfers answered 2xx; "
            f"{len(missing)} missing or not booked exactly once; "
            f"{len(bad_keys)} idempotency keys not stored exactly once; "
            f"{ambiguous} payments committed whose client saw no 2xx (cut connections)",
        )
    ]


def check_balances(database_url: str) -> Verdict:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FILTER (WHERE a.balance_cents <> COALESCE(s.total, 0)),"
            " count(*) FILTER (WHERE a.balance_cents < 0), count(*) FROM accounts a"
            " LEFT JOIN (SELECT account_id, sum(amount_cents) AS total FROM ledger_entries"
            " GROUP BY account_id) s ON s.account_id = a.id"
        )
        wrong, negative, total = cur.fetchone()  # type: ignore[misc]
    return Verdict(
        "every balance equals its ledger sum, none negative",
        wrong == 0 and negative == 0,
        f"{total} accounts: {wrong} differ from their ledger, {negative} negative",
    )


def pg_window(injections: list[Injection]) -> tuple[float, float] | None:
    for injection in injections:
        if injection.name == "PostgreSQL restart" and not injection.skipped:
            return injection.at, injection.at + injection.outage + PG_GRACE
    return None


def check_reads(outcomes: list[Outcome], injections: list[Injection]) -> Verdict:
    window = pg_window(injections)

    def excused(outcome: Outcome) -> bool:
        return window is not None and window[0] <= outcome.at <= window[1]

    reads = [o for o in outcomes if not o.request.is_write]
    bad = [o for o in reads if (o.status or 0) >= 500 and not excused(o)]
    inside = [o for o in reads if (o.status or 0) >= 500 and excused(o)]
    where = Counter(f"{o.request.kind} {o.status} at {o.at:.0f}s" for o in bad)
    return Verdict(
        "read routes: no 5xx outside the PostgreSQL outage",
        not bad,
        f"{len(reads)} reads; {len(inside)} 5xx inside the outage (+{PG_GRACE:.0f} s); "
        f"{len(bad)} outside" + (f": {dict(where.most_common(5))}" if bad else ""),
    )


def check_recovery(seconds: float | None) -> Verdict:
    return Verdict(
        "router ready again by itself",
        seconds is not None,
        f"ready {seconds:.1f} s after the soak" if seconds is not None else "not ready in 30 s",
    )


# --- the report ----------------------------------------------------------------------


def phases(injections: list[Injection]) -> list[tuple[str, float, float]]:
    bounds = [(0.0, "steady load (no fault)")] + [(i.at, i.name) for i in injections]
    ends = [at for at, _ in bounds[1:]] + [SOAK_SECONDS + 60]
    return [(name, start, end) for (start, name), end in zip(bounds, ends, strict=True)]


def classes(outcomes: list[Outcome]) -> str:
    counted = Counter(o.error_class for o in outcomes if o.error_class != "2xx")
    return ", ".join(f"{name} x{n}" for name, n in sorted(counted.items())) or "none"


def report(soak: Soak, outcomes: list[Outcome], capacity: float, rate: float,
           verdicts: list[Verdict]) -> str:  # fmt: skip
    notes = {i.name: i for i in soak.injections}
    workers = soak.deployment.workers.describe()
    lines = [
        "## Faults under load (issue 8, A20)",
        "",
        f"Measured {machine_line()}. `strangler up` half-migrated ({workers}"
        f" workers; flags: {'Unleash' if soak.deployment.unleash else 'embedded'}) pinned to"
        f" core 0; the load generator (Python, aiohttp, open loop) on core {CLIENT_CORE}."
        f" Capacity {capacity:,.0f} req/s (closed loop, 64 clients), soak at {rate:,.0f} req/s"
        f" ({LOAD_SHARE:.0%}) for {SOAK_SECONDS:.0f} s: 8 reads and 2 writes (payment create"
        " on legacy, transfer on the port) in every 10 requests.",
        "",
        "| phase (fault injected) | at s | outage s | requests | 2xx | errors by class | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, start, end in phases(soak.injections):
        chunk = [o for o in outcomes if start <= o.at < end]
        ok = sum(1 for o in chunk if o.error_class == "2xx")
        injection = notes.get(name)
        outage = f"{injection.outage:.1f}" if injection and not injection.skipped else "-"
        lines.append(
            f"| {name} | {start:.1f} | {outage} | {len(chunk)} | {ok} | {classes(chunk)}"
            f" | {injection.note if injection else ''} |"
        )
    lines += ["", "| invariant | result | detail |", "|---|---|---|"]
    lines += [f"| {v.name} | {'PASS' if v.passed else 'FAIL'} | {v.detail} |" for v in verdicts]
    overall = "PASS" if all(v.passed for v in verdicts) else "FAIL"
    lines += ["", f"Overall: **{overall}**."]
    return "\n".join(lines)


def measure_capacity(deployment: Deployment, mix: Mix) -> float:
    asyncio.run(closed_loop(deployment.url(""), mix, 16, 2))  # warm up
    return asyncio.run(closed_loop(deployment.url(""), mix, 64, 6))


def main() -> str:
    os.sched_setaffinity(0, {int(CLIENT_CORE)})  # the load generator's core; servers: core 0
    url, data = seeded_database(accounts=500, payments_per_account=10, name=DEPLOY_DB)
    mix = build_mix(data)
    installed = (unleash_home() / "node_modules" / "unleash-server").exists()
    unleash = installed and shutil.which("node") is not None
    with services_left_running(url), Deployment(url, "half-migrated", Workers(), unleash) as dep:
        capacity = measure_capacity(dep, mix)
        rate = LOAD_SHARE * capacity
        print(f"faults: capacity {capacity:.0f} req/s, soak at {rate:.0f} req/s", flush=True)
        soak = Soak(dep, url)
        outcomes = run_soak(soak, mix, rate)
        recovered = recovery_seconds(dep)
    verdicts = [
        *check_writes(url, outcomes, mix.run_id),
        check_balances(url),
        check_reads(outcomes, soak.injections),
        check_recovery(recovered),
    ]
    body = report(soak, outcomes, capacity, rate, verdicts)
    write_section("faults", body)
    return body

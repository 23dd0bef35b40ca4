"""The router against the servers it replaces (issue 3, item 9): hello-JSON routes, every
figure a ratio against a baseline measured in the same run.

All servers start together on core 0 (idle ones cost nothing) and the measurements are
interleaved round by round, so slow drift of this noisy machine hits shim and baseline
alike. Each figure is the median of ``rounds`` wrk runs after a warm-up.

Run: ``make bench BENCH=router`` or ``python -m bench router``.

Example:
    >>> order = interleaved(["a", "b"], rounds=2)
    >>> order
    [(0, 'a'), (0, 'b'), (1, 'a'), (1, 'b')]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from tempfile import TemporaryDirectory

from bench.harness import (
    Server,
    WrkResult,
    children_cpu_ns,
    cpu_ns,
    ensure_tool,
    free_port,
    machine_line,
    process_tree_rss,
    run_wrk,
    write_section,
)

TEMPLATE = Path(__file__).parent / "nginx.conf.template"
LEGACY_PATH = "/legacy/hello"
NEW_PATH = "/new/hello"
UVICORN_FLAGS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--no-proxy-headers",
    "--log-level",
    "warning",
)


@dataclass(frozen=True)
class Target:
    """One thing wrk measures: a path on one of the running servers. ``cpu``: the server
    whose process CPU (children included) is charged to each of its requests."""

    name: str
    server: str
    path: str


@dataclass(frozen=True)
class Comparison:
    label: str
    shim: str  # Target name
    baseline: str  # Target name
    goal: float | None  # None: a reference row, shown but not a goal
    floor: str | None = None  # the minimal setup in the shim's place (Target name)
    kind: str = "control"  # what a row without a goal is


FASTAPI = "fastapi direct"
FASTAPI_AGAIN = "fastapi direct, again (A/A)"
ROUTER_NEW = "router in-process, new"
MINIMAL_NEW = "minimal dispatcher, new"
GUNICORN = "gunicorn direct"
ROUTER_LEGACY = "router in-process, legacy"
REMOTE = "router remote, legacy"
MINIMAL_PROXY = "minimal proxy -> gunicorn"
RAW_PROXY = "raw proxy -> gunicorn"
NGINX = "nginx -> gunicorn"
BEFORE = "BENCH_BEFORE"  # a commit: its router measured beside this one, same run

TARGETS = (
    Target(FASTAPI, "fastapi", NEW_PATH),
    Target(FASTAPI_AGAIN, "fastapi_again", NEW_PATH),
    Target(ROUTER_NEW, "router", NEW_PATH),
    Target(MINIMAL_NEW, "minimal", NEW_PATH),
    Target(GUNICORN, "gunicorn", LEGACY_PATH),
    Target(ROUTER_LEGACY, "router", LEGACY_PATH),
    Target(REMOTE, "remote", LEGACY_PATH),
    Target(MINIMAL_PROXY, "minimal_proxy", LEGACY_PATH),
    Target(RAW_PROXY, "raw_proxy", LEGACY_PATH),
    Target(NGINX, "nginx", LEGACY_PATH),
)
BEFORE_TARGETS = (
    Target("router in-process, new, before", "router_before", NEW_PATH),
    Target("router remote, legacy, before", "remote_before", LEGACY_PATH),
)

COMPARISONS = (
    Comparison("A/A control: FastAPI direct ÷ FastAPI direct", FASTAPI_AGAIN, FASTAPI, None),
    Comparison(
        "new route: router in-process ÷ FastAPI direct", ROUTER_NEW, FASTAPI, 0.90, MINIMAL_NEW
    ),
    Comparison("legacy route: router in-process ÷ gunicorn sync", ROUTER_LEGACY, GUNICORN, 1.10),
    Comparison("remote mode ÷ nginx proxy_pass", REMOTE, NGINX, 0.90, RAW_PROXY),
    Comparison(
        "same client, nothing else: minimal aiohttp proxy ÷ nginx",
        MINIMAL_PROXY,
        NGINX,
        None,
        kind="reference",
    ),
)


@dataclass(frozen=True)
class Measured:
    """wrk's figures and the serving process's CPU per request (median of the rounds)."""

    wrk: WrkResult
    cpu_us: float

    @property
    def rps(self) -> float:
        return self.wrk.rps


def interleaved(names: Sequence[str], rounds: int) -> list[tuple[int, str]]:
    """Round by round, every target once per round: drift hits them all alike."""
    return [(round_, name) for round_ in range(rounds) for name in names]


def median_results(samples: Mapping[str, Sequence[WrkResult]]) -> dict[str, WrkResult]:
    return {
        name: WrkResult(
            statistics.median(r.rps for r in runs),
            statistics.median(r.p50_ms for r in runs),
            statistics.median(r.p99_ms for r in runs),
            sum(r.errors for r in runs),
            sum(r.requests for r in runs),
        )
        for name, runs in samples.items()
    }


@contextmanager
def all_running(servers: Mapping[str, Server]) -> Iterator[dict[str, Server]]:
    """Every server started, each on the server core, and all stopped on the way out."""
    with ExitStack() as stack:
        yield {name: stack.enter_context(server) for name, server in servers.items()}


def factory_router(target: str, env: Mapping[str, str] | None = None) -> Server:
    """uvicorn serving the ``bench.apps`` factory ``target`` with its lifespan."""
    port = free_port()
    command = _uvicorn(f"bench.apps:{target}", port, "--factory", "--lifespan", "on")
    return Server(command, port, health_path="/healthz", env=env)


def wrk_medians(
    targets: Mapping[str, tuple[str, Mapping[str, str]]],
    connections: int,
    seconds: float,
    rounds: int,
) -> dict[str, WrkResult]:
    """Each name's (url, headers) warmed up for 2 s, then driven ``rounds`` times,
    interleaved with the others; the medians."""
    for url, headers in targets.values():
        run_wrk(url, connections, 2, headers=headers)
    samples: dict[str, list[WrkResult]] = {name: [] for name in targets}
    for _, name in interleaved(list(targets), rounds):
        url, headers = targets[name]
        samples[name].append(run_wrk(url, connections, seconds, headers=headers))
    return median_results(samples)


@dataclass(frozen=True)
class Row:
    comparison: Comparison
    connections: int
    shim: Measured
    baseline: Measured
    floor: Measured | None = None

    @property
    def ratio(self) -> float:
        return self.shim.rps / self.baseline.rps if self.baseline.rps else 0.0

    @property
    def floor_ratio(self) -> float | None:
        if self.floor is None or not self.baseline.rps:
            return None
        return self.floor.rps / self.baseline.rps

    @property
    def met(self) -> bool | None:
        goal = self.comparison.goal
        return None if goal is None else self.ratio >= goal


def rows_for(connections: int, results: Mapping[str, Measured]) -> list[Row]:
    return [
        Row(
            c,
            connections,
            results[c.shim],
            results[c.baseline],
            results[c.floor] if c.floor else None,
        )
        for c in COMPARISONS
    ]


def render(
    rows: Sequence[Row],
    absolute: Mapping[int, Mapping[str, Measured]],
    note: str,
    memory: Mapping[str, Mapping[str, int]] | None = None,
) -> str:
    lines = [
        "## Router overhead (issues 3 and 27)",
        "",
        f"Measured {machine_line()}. {note}",
        "",
        "| comparison | c | shim rps | baseline rps | ratio | goal | met "
        "| floor ratio | CPU us/request shim / baseline | p99 ms shim / base |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        goal = row.comparison.goal
        met = row.comparison.kind if row.met is None else ("yes" if row.met else "**no**")
        floor = f"{row.floor_ratio:.2f}" if row.floor_ratio is not None else "-"
        lines.append(
            f"| {row.comparison.label} | {row.connections} | {row.shim.rps:,.0f} "
            f"| {row.baseline.rps:,.0f} | {row.ratio:.2f} "
            f"| {'-' if goal is None else f'>= {goal:.2f}'} | {met} | {floor} "
            f"| {row.shim.cpu_us:.0f} / {row.baseline.cpu_us:.0f} "
            f"| {row.shim.wrk.p99_ms:.1f} / {row.baseline.wrk.p99_ms:.1f} |"
        )
    lines += [
        "",
        "Every setup (median rps; CPU = microseconds of the serving process's CPU clock, "
        "children included, per request; errors = socket errors + non-2xx over all rounds):",
        "",
    ]
    concurrencies = sorted(absolute)
    lines.append(
        "| setup | "
        + " | ".join(f"rps c={c} | CPU us c={c} | errors c={c}" for c in concurrencies)
        + " |"
    )
    lines.append("|---|" + "---|---|---|" * len(concurrencies))
    names = [n for n in absolute[concurrencies[0]]]
    paths = {t.name: t.path for t in (*TARGETS, *BEFORE_TARGETS)}
    for name in names:
        cells = [
            f"{absolute[c][name].rps:,.0f} | {absolute[c][name].cpu_us:.0f} "
            f"| {absolute[c][name].wrk.errors}"
            for c in concurrencies
        ]
        lines.append(f"| {name} `{paths.get(name, '')}` | " + " | ".join(cells) + " |")
    if memory:
        lines += ["", "Resident memory after the runs (MiB):", ""]
        lines += ["| process | main | children |", "|---|---|---|"]
        for server, sizes in memory.items():
            children = [v for k, v in sizes.items() if k != "main"]
            kids = " + ".join(f"{v / 2**20:.0f}" for v in children) or "none"
            lines.append(f"| {server} | {sizes.get('main', 0) / 2**20:.0f} | {kids} |")
    misses = _miss_notes(rows)
    if misses:
        lines += ["", "Missed goals (computed from this run):", "", *misses]
    return "\n".join(lines)


def _miss_notes(rows: Sequence[Row]) -> list[str]:
    """For a missed goal: what the shim adds per request in CPU, what the budget for the
    goal is, and how far the minimal setup in its place got."""
    notes: list[str] = []
    for row in rows:
        goal = row.comparison.goal
        if goal is None or row.met:
            continue
        base = row.baseline.cpu_us
        added = row.shim.cpu_us - base
        # At a saturated core, rps ~ 1 / CPU per request: the goal's budget in CPU.
        budget = base / goal - base
        text = (
            f"- {row.comparison.label}, c={row.connections}: {row.ratio:.2f}. The shim "
            f"spends {row.shim.cpu_us:.0f} us of CPU per request against the baseline's "
            f"{base:.0f} us (+{added:.0f} us); {goal:.2f} allows about {budget:+.0f} us."
        )
        if row.floor is not None and row.floor_ratio is not None:
            text += (
                f" The minimal setup in its place ({row.comparison.floor}) reaches "
                f"{row.floor_ratio:.2f} at +{row.floor.cpu_us - base:.0f} us: "
                + (
                    "the goal is out of reach of a Python front end on this core."
                    if row.floor_ratio < goal
                    else "the goal is reachable; the rest is the shim's own cost."
                )
            )
        notes.append(text)
    return notes


def nginx_config(template: str, prefix: Path, listen_port: int, upstream_port: int) -> str:
    return Template(template).substitute(
        prefix=str(prefix), listen_port=listen_port, upstream_port=upstream_port
    )


def _uvicorn(target: str, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", target, "--port", str(port), *UVICORN_FLAGS, *extra]


@contextmanager
def before_tree(commit: str | None) -> Iterator[Path | None]:
    """A worktree of ``commit`` (its router measured beside this one), removed afterwards."""
    if not commit:
        yield None
        return
    repo = Path(__file__).parent.parent
    with TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), commit],
            cwd=repo,
            check=True,
            capture_output=True,
        )
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=repo, check=False
            )


@contextmanager
def running_servers(tmp: Path, before: Path | None = None) -> Iterator[dict[str, Server]]:
    """Every setup at once on core 0; they only compete while wrk drives one of them."""
    names = ("fastapi", "fastapi_again", "minimal", "gunicorn", "router", "remote")
    ports = {name: free_port() for name in names}
    for name in ("minimal_proxy", "raw_proxy", "nginx", "router_before", "remote_before"):
        ports[name] = free_port()
    gunicorn_cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "sync"]
    upstream = f"http://127.0.0.1:{ports['gunicorn']}"
    router_env = {"STRANGLER_MODE": "inprocess"}
    remote_env = {
        "STRANGLER_MODE": "remote",
        "STRANGLER_LEGACY_URL": upstream,
        "STRANGLER_NEW_URL": f"http://127.0.0.1:{ports['fastapi']}",
    }
    router_flags = ("--factory", "--lifespan", "on")
    prefix = tmp / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(TEMPLATE.read_text(), prefix, ports["nginx"], ports["gunicorn"]))
    nginx = ensure_tool("nginx")

    def uvicorn(
        name: str,
        target: str,
        *extra: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Server:
        return Server(_uvicorn(target, ports[name], *extra), ports[name], env=env, cwd=cwd)

    servers = {
        "gunicorn": Server(
            [*gunicorn_cmd, "-b", f"127.0.0.1:{ports['gunicorn']}", "bench.apps:legacy_app"],
            ports["gunicorn"],
        ),
        "fastapi": uvicorn("fastapi", "bench.apps:new_app"),
        "fastapi_again": uvicorn("fastapi_again", "bench.apps:new_app"),
        "minimal": uvicorn("minimal", "bench.apps:minimal_dispatcher", "--factory"),
        "router": uvicorn("router", "bench.apps:router_app", *router_flags, env=router_env),
        "remote": uvicorn("remote", "bench.apps:router_app", *router_flags, env=remote_env),
        "minimal_proxy": uvicorn(
            "minimal_proxy",
            "bench.apps:minimal_proxy",
            "--factory",
            env={"BENCH_UPSTREAM": upstream},
        ),
        "raw_proxy": uvicorn(
            "raw_proxy", "bench.apps:raw_proxy", "--factory", env={"BENCH_UPSTREAM": upstream}
        ),
        "nginx": Server([nginx, "-p", str(prefix), "-c", str(conf)], ports["nginx"]),
    }
    if before is not None:
        # Run from the worktree, with it first on the path: its router_proxy and bench.
        old = {"PYTHONPATH": str(before)}
        servers["router_before"] = uvicorn(
            "router_before",
            "bench.apps:router_app",
            *router_flags,
            env={**router_env, **old},
            cwd=before,
        )
        servers["remote_before"] = uvicorn(
            "remote_before",
            "bench.apps:router_app",
            *router_flags,
            env={**remote_env, **old},
            cwd=before,
        )
    with ExitStack() as stack:
        for server in servers.values():
            server.health_path = "/healthz"
            stack.enter_context(server)
        yield servers


def _cpu_ns(server: Server) -> int:
    assert server.process is not None
    pid = server.process.pid
    return cpu_ns(pid) + children_cpu_ns(pid)


def measure(
    servers: Mapping[str, Server],
    targets: Sequence[Target],
    connections: int,
    seconds: float,
    rounds: int,
) -> dict[str, Measured]:
    by_name = {t.name: t for t in targets}
    for target in targets:  # warm-up: imports, pools, upstream connections, JIT-less caches
        run_wrk(servers[target.server].url(target.path), connections, 2)
    samples: dict[str, list[WrkResult]] = {t.name: [] for t in targets}
    cpu: dict[str, list[float]] = {t.name: [] for t in targets}
    for _, name in interleaved(list(by_name), rounds):
        target = by_name[name]
        server = servers[target.server]
        before = _cpu_ns(server)
        result = run_wrk(server.url(target.path), connections, seconds)
        spent = _cpu_ns(server) - before
        samples[name].append(result)
        cpu[name].append(spent / max(result.requests, 1) / 1000)
    wrk = median_results(samples)
    return {name: Measured(wrk[name], statistics.median(cpu[name])) for name in by_name}


def main(seconds: float = 5.0, rounds: int = 3, concurrencies: Sequence[int] = (50, 200)) -> str:
    ensure_tool("wrk")
    before_commit = os.environ.get(BEFORE, "")
    absolute: dict[int, dict[str, Measured]] = {}
    rows: list[Row] = []
    with (
        TemporaryDirectory() as tmp,
        before_tree(before_commit) as before,
        running_servers(Path(tmp), before) as servers,
    ):
        targets = [*TARGETS, *(BEFORE_TARGETS if before is not None else ())]
        for connections in concurrencies:
            absolute[connections] = measure(servers, targets, connections, seconds, rounds)
            rows += rows_for(connections, absolute[connections])
        memory = {
            name: process_tree_rss(servers[name].process.pid)  # type: ignore[union-attr]
            for name in ("router", "remote", "fastapi", "gunicorn")
        }
    note = (
        f"Hello-JSON routes; medians of {rounds} interleaved rounds of {seconds:.0f} s after a "
        "2 s warm-up; every server on core 0 (gunicorn: sync, 1 worker, which closes every "
        "connection, so each proxied request opens one; uvicorn: uvloop + httptools, no "
        "access log; the router as `strangler serve` builds it: JSON access log, Prometheus "
        "metrics, traffic windows, shadow hook and its worker process; nginx: 1 worker), "
        "wrk -t2 on core 1. Floors, in the same run: the minimal dispatcher (a dict from "
        "path to app in front of the same two apps, `bench.apps.MinimalDispatcher`) and "
        "two proxies: pure ASGI on one shared aiohttp session, the router's client "
        "(`bench.apps.MinimalProxy`), and the leanest, asyncio streams and httptools with "
        "no pool, timeout or retry (`bench.apps.RawProxy`)."
    )
    if before_commit:
        note += f" Rows marked before: the router of commit {before_commit}, same run."
    body = render(rows, absolute, note, memory)
    write_section("router", body)
    return body

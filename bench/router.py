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

import statistics
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
    ensure_tool,
    free_port,
    machine_line,
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
    """One thing wrk measures: a path on one of the running servers."""

    name: str
    server: str
    path: str


@dataclass(frozen=True)
class Comparison:
    label: str
    shim: str  # Target name
    baseline: str  # Target name
    goal: float
    miss_note: str  # why a miss happens and what would close it (printed only on a miss)


TARGETS = (
    Target("fastapi direct", "fastapi", NEW_PATH),
    Target("router in-process, new", "router", NEW_PATH),
    Target("a2wsgi direct", "a2wsgi", LEGACY_PATH),
    Target("gunicorn direct", "gunicorn", LEGACY_PATH),
    Target("router in-process, legacy", "router", LEGACY_PATH),
    Target("router remote, legacy", "remote", LEGACY_PATH),
    Target("nginx -> gunicorn", "nginx", LEGACY_PATH),
)

COMPARISONS = (
    Comparison(
        "new route: router in-process ÷ FastAPI direct",
        "router in-process, new",
        "fastapi direct",
        0.95,
        "FastAPI answers this route in ~40-90 us of CPU (app called directly, this "
        "machine's noise), so 0.95 leaves the router ~2-5 us; driving the ASGI app "
        "directly (7 interleaved rounds of 3,000 calls, cProfile) it adds ~35-45 us: "
        "the JSON access line ~10 us (was ~25 us through structlog's chain; "
        '`[router] access_log = "errors"` or "off" drops it), header cleaning ~8 us, '
        "Prometheus + traffic windows ~5 us, decision, response-header stamping. Closing "
        "it needs the router's per-request steps fused into one pass in compiled code "
        "(Cython/mypyc) or a native server (granian: bare ASGI 1.5x uvicorn here).",
    ),
    Comparison(
        "legacy route: router in-process ÷ a2wsgi direct",
        "router in-process, legacy",
        "a2wsgi direct",
        0.95,
        "The router's bridge does what a2wsgi does plus the router's per-request work; "
        "what is left is that fixed cost over Flask's own, and a cheaper access log "
        "would close most of it.",
    ),
    Comparison(
        "legacy route: router in-process ÷ gunicorn sync direct",
        "router in-process, legacy",
        "gunicorn direct",
        1.0,
        "gunicorn's sync worker calls Flask on the thread that parsed the request, while "
        "the router pays an event-loop-to-worker-thread handoff and back per request; "
        "serving Flask from the loop thread is not an option (one slow query would stall "
        "every request), so what would close it is a WSGI server written in native code "
        "(granian's WSGI interface runs Flask at 2.6x gunicorn on this machine).",
    ),
    Comparison(
        "remote mode ÷ gunicorn direct (same core)",
        "router remote, legacy",
        "gunicorn direct",
        0.70,
        "In remote mode every request is parsed and written twice on the one core, once "
        "by the router (plus aiohttp's client) and once by gunicorn; closing it needs the "
        "router off gunicorn's core or fewer Python-level steps in the proxy path.",
    ),
    Comparison(
        "remote mode ÷ nginx proxy_pass (keepalive upstream)",
        "router remote, legacy",
        "nginx -> gunicorn",
        0.90,
        "nginx proxies in C with a few microseconds per request, the router in Python "
        "(uvicorn + the router + aiohttp); the gap is the interpreter's, and only a "
        "native proxy in front (nginx, envoy) closes it.",
    ),
)


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
    shim: WrkResult
    baseline: WrkResult

    @property
    def ratio(self) -> float:
        return self.shim.rps / self.baseline.rps if self.baseline.rps else 0.0

    @property
    def met(self) -> bool:
        return self.ratio >= self.comparison.goal


def rows_for(connections: int, results: Mapping[str, WrkResult]) -> list[Row]:
    return [Row(c, connections, results[c.shim], results[c.baseline]) for c in COMPARISONS]


def render(rows: Sequence[Row], absolute: Mapping[int, Mapping[str, WrkResult]], note: str) -> str:
    lines = [
        "## Router overhead (issue 3, item 9)",
        "",
        f"Measured {machine_line()}. {note}",
        "",
        "| comparison | c | shim rps | baseline rps | ratio | goal | met | p99 ms shim / base |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.comparison.label} | {row.connections} | {row.shim.rps:,.0f} "
            f"| {row.baseline.rps:,.0f} | {row.ratio:.2f} | >= {row.comparison.goal:.2f} "
            f"| {'yes' if row.met else '**no**'} "
            f"| {row.shim.p99_ms:.1f} / {row.baseline.p99_ms:.1f} |"
        )
    lines += ["", "Every setup (median rps, errors = socket errors + non-2xx over all rounds):", ""]
    concurrencies = sorted(absolute)
    lines.append(
        "| setup | " + " | ".join(f"rps c={c} | errors c={c}" for c in concurrencies) + " |"
    )
    lines.append("|---|" + "---|---|" * len(concurrencies))
    for target in TARGETS:
        cells = [
            f"{absolute[c][target.name].rps:,.0f} | {absolute[c][target.name].errors}"
            for c in concurrencies
        ]
        lines.append(f"| {target.name} `{target.path}` | " + " | ".join(cells) + " |")
    misses = _miss_notes(rows)
    if misses:
        lines += ["", "Missed goals:", "", *misses]
    return "\n".join(lines)


def _miss_notes(rows: Sequence[Row]) -> list[str]:
    notes: list[str] = []
    for row in rows:
        if not row.met:
            c = row.comparison
            notes.append(f"- {c.label}, c={row.connections}: {row.ratio:.2f}. {c.miss_note}")
    return notes


def nginx_config(template: str, prefix: Path, listen_port: int, upstream_port: int) -> str:
    return Template(template).substitute(
        prefix=str(prefix), listen_port=listen_port, upstream_port=upstream_port
    )


def _uvicorn(target: str, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", target, "--port", str(port), *UVICORN_FLAGS, *extra]


@contextmanager
def running_servers(tmp: Path) -> Iterator[dict[str, Server]]:
    """Every setup at once on core 0; they only compete while wrk drives one of them."""
    ports = {name: free_port() for name in ("fastapi", "a2wsgi", "gunicorn", "router", "remote")}
    ports["nginx"] = free_port()
    gunicorn_cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "sync"]
    router_env = {"STRANGLER_MODE": "inprocess"}
    remote_env = {
        "STRANGLER_MODE": "remote",
        "STRANGLER_LEGACY_URL": f"http://127.0.0.1:{ports['gunicorn']}",
        "STRANGLER_NEW_URL": f"http://127.0.0.1:{ports['fastapi']}",
    }
    router_flags = ("--factory", "--lifespan", "on")
    prefix = tmp / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(TEMPLATE.read_text(), prefix, ports["nginx"], ports["gunicorn"]))
    nginx = ensure_tool("nginx")
    servers = {
        "fastapi": Server(_uvicorn("bench.apps:new_app", ports["fastapi"]), ports["fastapi"]),
        "a2wsgi": Server(
            _uvicorn("bench.apps:a2wsgi_app", ports["a2wsgi"], "--factory"), ports["a2wsgi"]
        ),
        "gunicorn": Server(
            [*gunicorn_cmd, "-b", f"127.0.0.1:{ports['gunicorn']}", "bench.apps:legacy_app"],
            ports["gunicorn"],
        ),
        "router": Server(
            _uvicorn("bench.apps:router_app", ports["router"], *router_flags),
            ports["router"],
            env=router_env,
        ),
        "remote": Server(
            _uvicorn("bench.apps:router_app", ports["remote"], *router_flags),
            ports["remote"],
            env=remote_env,
        ),
        "nginx": Server([nginx, "-p", str(prefix), "-c", str(conf)], ports["nginx"]),
    }
    with ExitStack() as stack:
        for server in servers.values():
            server.health_path = "/healthz"
            stack.enter_context(server)
        yield servers


def measure(
    servers: Mapping[str, Server], connections: int, seconds: float, rounds: int
) -> dict[str, WrkResult]:
    by_name = {t.name: t for t in TARGETS}
    for target in TARGETS:  # warm-up: imports, pools, upstream connections, JIT-less caches
        run_wrk(servers[target.server].url(target.path), connections, 2)
    samples: dict[str, list[WrkResult]] = {t.name: [] for t in TARGETS}
    for _, name in interleaved(list(by_name), rounds):
        target = by_name[name]
        samples[name].append(run_wrk(servers[target.server].url(target.path), connections, seconds))
    return median_results(samples)


def main(seconds: float = 5.0, rounds: int = 3, concurrencies: Sequence[int] = (50, 200)) -> str:
    ensure_tool("wrk")
    absolute: dict[int, dict[str, WrkResult]] = {}
    rows: list[Row] = []
    with TemporaryDirectory() as tmp, running_servers(Path(tmp)) as servers:
        for connections in concurrencies:
            absolute[connections] = measure(servers, connections, seconds, rounds)
            rows += rows_for(connections, absolute[connections])
    note = (
        f"Hello-JSON routes; medians of {rounds} interleaved rounds of {seconds:.0f} s after a "
        "2 s warm-up; every server on core 0 (gunicorn: sync, 1 worker; uvicorn: uvloop + "
        "httptools, no access log; the router as `strangler serve` builds it: JSON access "
        "log, Prometheus metrics, traffic windows, shadow hook; nginx: 1 worker, keepalive "
        "upstream), wrk -t2 on core 1."
    )
    body = render(rows, absolute, note)
    write_section("router", body)
    return body

"""What the router's JSON 400 for unparsable requests costs (issue 25 item 11): the router
process's CPU per request under uvicorn's own httptools protocol and under
``router_proxy.server_errors.JsonErrorsHttp`` (the subclass ``strangler serve``, ``strangler
up`` and the Kubernetes manifest run), serving requests that parse.

The subclass changes one method, the one uvicorn calls when parsing fails, so the expected
cost on requests that parse is nothing; this measures it rather than assuming it. Wall
time on 2 vCPUs cannot resolve a few percent, the process's CPU clock can
(``bench.shadow_cpu``): each variant is one router (``bench.shadow:shadow_router_app`` with
no shadow) at a fixed open-loop rate, variants alternating, medians of the rounds, and an
A/A row (uvicorn's protocol twice) for the noise floor.

Run: ``make bench BENCH=server-errors``.

Example:
    python -m bench.server_errors --serve 8123 json
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from bench.harness import (
    SERVER_CORE,
    Server,
    cpu_ns,
    free_port,
    machine_line,
    run_wrk,
    write_section,
)
from bench.shadow import PATH, open_loop
from bench.shadow_cpu import RATE, WARM_UP, per_request_us

SECONDS = 6.0
BASELINE = "uvicorn's httptools protocol"
# variant -> the protocol the router's uvicorn runs
VARIANTS = {
    BASELINE: "httptools",
    "uvicorn's httptools protocol, again (A/A control)": "httptools",
    "JsonErrorsHttp (the router's JSON 400)": "json",
}


@dataclass(frozen=True)
class Row:
    variant: str
    router_us: float
    base_us: float
    spread: tuple[float, float]

    @property
    def ratio(self) -> float:
        return self.router_us / self.base_us


def serve(port: int, protocol: str) -> None:
    """One router on ``port``, as ``strangler serve`` runs it but for the protocol."""
    import uvicorn

    from router_proxy.server_errors import JsonErrorsHttp

    uvicorn.run(
        "bench.shadow:shadow_router_app",
        factory=True,
        port=port,
        http=JsonErrorsHttp if protocol == "json" else "httptools",
        lifespan="on",
        server_header=False,
        date_header=False,
        access_log=False,
        log_level="warning",
    )


@contextmanager
def routers() -> Iterator[dict[str, Server]]:
    env = {"DATABASE_URL": "", "STRANGLER_MODE": "inprocess", "BENCH_SHADOW_SAMPLE": "0"}
    with ExitStack() as stack:
        servers = {}
        for variant, protocol in VARIANTS.items():
            port = free_port()
            command = [sys.executable, "-m", "bench.server_errors", "--serve", str(port), protocol]
            server = Server(command, port, "/_strangler/healthz", env, SERVER_CORE)
            servers[variant] = stack.enter_context(server)
        yield servers


def measure(rounds: int) -> list[Row]:
    with routers() as servers:
        for server in servers.values():
            run_wrk(server.url(PATH), 8, 2)  # warm-up: imports, caches, connections
        spent: dict[str, list[float]] = {variant: [] for variant in servers}
        requests = int(RATE * (SECONDS + WARM_UP))
        for _ in range(rounds):  # alternate so that drift hits every variant alike
            for variant, server in servers.items():
                assert server.process is not None
                start = cpu_ns(server.process.pid)
                open_loop(server.url(PATH), RATE, SECONDS)
                spent[variant].append(per_request_us(cpu_ns(server.process.pid) - start, requests))
    base = statistics.median(spent[BASELINE])
    return [
        Row(variant, statistics.median(values), base, (min(values), max(values)))
        for variant, values in spent.items()
    ]


def render(rows: Sequence[Row], rounds: int) -> str:
    control = next(row for row in rows if "A/A" in row.variant)
    candidate = rows[-1]
    floor = abs(control.ratio - 1)
    verdict = (
        "inside the A/A spread: no measurable cost"
        if abs(candidate.ratio - 1) <= max(floor, 0.02)
        else f"outside the A/A spread ({candidate.ratio:.3f} against {control.ratio:.3f})"
    )
    lines = [
        "## The router's JSON 400 for unparsable requests (issue 25 item 11)",
        "",
        f"Measured {machine_line()}. The router process's CPU per request (its process CPU"
        f" clock), `GET {PATH}` of the hello apps in process, open loop at {RATE:.0f}"
        f" requests/s, {SECONDS:.0f} s rounds, median of {rounds} alternating rounds.",
        "",
        "| uvicorn protocol | router CPU us/request | ratio | rounds min-max |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {row.variant} | {row.router_us:.1f} | {row.ratio:.3f}"
        f" | {row.spread[0]:.1f}-{row.spread[1]:.1f} |"
        for row in rows
    ]
    lines += [
        "",
        f"JsonErrorsHttp against uvicorn's own protocol: {candidate.ratio:.3f}, {verdict}."
        " It overrides only the method uvicorn calls when a request fails to parse.",
    ]
    return "\n".join(lines) + "\n"


def main(rounds: int = 5) -> str:
    body = render(measure(rounds), rounds)
    write_section("server-errors", body)
    return body


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        print(main())

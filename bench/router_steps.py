"""Where the router's CPU goes on an in-process request (issue 27): the router as
``strangler serve`` builds it, driven directly (no server, no socket), with its per-request
parts switched off one at a time, each figure the CPU time per request of this process.

Each round drives FastAPI alone, then the router in every variant, ``CALLS`` requests
each, interleaved; a step's cost is the difference between two variants' medians over the
rounds. The three steps inside the dispatcher's core (header cleaning, route match and
decision) are timed alone with ``timeit`` on the same objects. What the server costs
(parsing and writing) is in the router section: FastAPI direct under uvicorn minus
FastAPI driven directly, given here too.

Run: ``make bench BENCH=router-steps`` (also part of ``BENCH=router``).

Example:
    >>> step_costs({"a": 10.0, "b": 7.5, "c": 7.0}, ["a", "b", "c"])
    [('a', 2.5), ('b', 0.5)]
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import os
import statistics
import time
import timeit
from collections.abc import Callable, Sequence
from typing import Any

from bench.harness import machine_line, write_section
from router_proxy.lifespan import AppLifespan

CALLS = 1500
ROUNDS = 9
PATH = "/new/hello"


def step_costs(medians: dict[str, float], order: Sequence[str]) -> list[tuple[str, float]]:
    """Each variant minus the next one: what switching the next part off saved."""
    return [(a, medians[a] - medians[b]) for a, b in itertools.pairwise(order)]


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _call(app: Any, path: str) -> None:
    """One request as a server drives it: the body once, then receive() waits (no
    disconnect), as it does on a live connection."""
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        pass

    await app(_scope(path), receive, send)


async def _cpu_us(app: Any, calls: int) -> float:
    began = time.process_time()
    for _ in range(calls):
        await _call(app, PATH)
    return (time.process_time() - began) / calls * 1e6


async def _measure() -> tuple[dict[str, float], dict[str, float], list[str]]:
    from bench import apps

    router = apps.router_app()
    streams = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    with open(os.devnull, "w") as null:
        kept = [handler.setStream(null) for handler in streams]  # the access lines go nowhere
        try:
            return await _measure_quietly(router)
        finally:
            for handler, stream in zip(streams, kept, strict=True):
                if stream is not None:
                    handler.setStream(stream)


async def _measure_quietly(router: Any) -> tuple[dict[str, float], dict[str, float], list[str]]:
    from bench import apps

    lifespan = AppLifespan(router)
    await lifespan.startup()
    dispatcher = router.dispatcher
    parts = dispatcher.parts
    sinks = list(parts.stats.sinks)
    prometheus = [s for s in sinks if type(s).__name__ == "PrometheusSink"]
    windows = [s for s in sinks if s not in prometheus]

    def variant(log: str, kept: list[Any], extras: bool) -> Callable[[], None]:
        def apply() -> None:
            dispatcher.access.mode = log
            parts.stats.sinks = list(kept)
            dispatcher.parts = (
                parts
                if extras
                else dataclasses.replace(parts, shadow_hook=None, sampler=None, tracer=None)
            )

        return apply

    variants = {
        "access line": variant("all", sinks, True),
        "Prometheus metrics": variant("off", sinks, True),
        "traffic windows": variant("off", windows, True),
        "shadow hook, traffic sampler, tracer check": variant("off", [], True),
        "dispatcher core": variant("off", [], False),
    }
    samples: dict[str, list[float]] = {name: [] for name in ["FastAPI alone", *variants]}
    for _ in range(2):  # warm-up
        await _cpu_us(router, CALLS)
    for _ in range(ROUNDS):
        samples["FastAPI alone"].append(await _cpu_us(apps.new_app, CALLS))
        for name, apply in variants.items():
            apply()
            samples[name].append(await _cpu_us(router, CALLS))
    variants["access line"]()
    core = _core_steps(router)
    await lifespan.shutdown()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return medians, core, list(variants)


def _core_steps(router: Any) -> dict[str, float]:
    """Header cleaning, route match and the decision, each timed alone (best of 5)."""
    from router_proxy.headers import clean_request

    dispatcher = router.dispatcher
    settings = dispatcher.parts.settings
    scope = _scope(PATH)
    inbound = clean_request(scope, settings)
    route = dispatcher.route_for(scope)

    def decide() -> None:
        coroutine = dispatcher.decide_for(route, inbound)
        with contextlib.suppress(StopIteration):  # no identity resolver: it never waits
            coroutine.send(None)

    def match() -> None:
        found = dispatcher.route_for(scope)
        dispatcher.selects_another_route(scope, found)

    steps = {
        "header cleaning": lambda: clean_request(scope, settings),
        "route match": match,
        "decision (caller context, flag snapshot, decide)": decide,
    }
    return {
        name: min(timeit.repeat(step, number=20_000, repeat=5)) / 20_000 * 1e6
        for name, step in steps.items()
    }


def render(medians: dict[str, float], core: dict[str, float], order: list[str]) -> str:
    fastapi = medians["FastAPI alone"]
    added = medians[order[0]] - fastapi
    lines = [
        "## Where the router's CPU goes (issue 27)",
        "",
        f"Measured {machine_line()}. `GET {PATH}` on the router as `strangler serve` builds "
        f"it, in-process, driven directly (no server): CPU time per request of this process, "
        f"medians of {ROUNDS} interleaved rounds of {CALLS} requests per variant; each part's "
        "cost is what switching it off saved, in the order listed. The dispatcher core's "
        "three steps are timed alone (timeit, best of 5).",
        "",
        "| part | us per request | share of what the router adds |",
        "|---|---|---|",
    ]
    for name, cost in step_costs(medians, order):
        lines.append(f"| {name} | {cost:.1f} | {cost / added:.0%} |")
    core_total = medians[order[-1]] - fastapi
    lines.append(
        f"| dispatcher core (exchange, body, send wrapper, scope copy, and the steps below) "
        f"| {core_total:.1f} | {core_total / added:.0%} |"
    )
    for name, cost in core.items():
        lines.append(f"| - {name}, alone | {cost:.1f} | {cost / added:.0%} |")
    lines += [
        f"| **router in all** | **{added:.1f}** | 100% |",
        f"| FastAPI alone, for scale | {fastapi:.1f} | |",
    ]
    return "\n".join(lines)


def main() -> str:
    medians, core, order = asyncio.run(_measure())
    body = render(medians, core, order)
    write_section("router-steps", body)
    return body

"""The guard end to end across two router processes: two in-process router instances
(each under its own uvicorn, each with its own WindowStore process id and its own
GuardRunner) sharing the test database and the embedded flag provider. Traffic is real
HTTP; the new app is broken on purpose (5xx, mismatches); time is a clock the test moves,
so no assertion waits on a timer."""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, cast

import pytest

from rollout.flags.audit import AuditLog
from rollout.flags.audited import AuditedWriter
from rollout.flags.embedded import EmbeddedFlagStore, EmbeddedProvider
from rollout.guard.bounds import Action, Verdict
from rollout.guard.control import RolloutControl
from rollout.guard.runner import GuardRunner
from rollout.guard.state import GuardStateStore, Status
from rollout.guard.steps import parse_rollout
from rollout.telemetry.windows import WindowStore
from rollout.types import Mode
from tests.fixtures.rollout import wait_until
from tests.rollout import guard_apps
from tests.rollout.observed_db import FakeClock, observed_db
from tests.router_proxy.rollout_router import RunningRouter, running_router

__all__ = ["observed_db"]
ROUTE = "GET /things/{thing_id}"
PLAN = {
    "rollout": {
        ROUTE: {
            "steps": ["shadow:20", "canary:50", "new"],
            "hold": "1m",
            "min_requests": 10,
            "max_error_rate": 0.05,
            "max_mismatch_rate": 0.05,
            "max_p99_ratio": 1000.0,  # timing noise on a test machine is not under test here
        }
    }
}


@dataclass
class Process:
    """One router process: its router, its window store, its guard."""

    router: RunningRouter
    windows: WindowStore
    guard: GuardRunner


@pytest.fixture
def clock():
    return FakeClock(time.time())


@pytest.fixture
def processes(observed_db, clock):
    guard_apps.NEW_BEHAVIOUR["mode"] = "ok"
    plans = parse_rollout(PLAN)
    with ExitStack() as stack:
        started = []
        for name in ("router-a", "router-b"):
            provider = EmbeddedProvider(observed_db.url)
            router = stack.enter_context(
                running_router(guard_apps.legacy, guard_apps.new, provider, shadow_timeout=5.0)
            )
            windows = WindowStore(observed_db.url, process_id=name, clock=clock)
            router.app.stats.sinks.append(windows)
            stack.callback(windows.close)
            guard = GuardRunner(
                _control(observed_db.url, plans, "guard", clock),
                windows,
                observed_db.url,
                clock=clock,
            )
            stack.callback(guard.stop)
            started.append(Process(router, windows, guard))
        yield started
    guard_apps.NEW_BEHAVIOUR["mode"] = "ok"


@pytest.fixture
def person(observed_db, clock):
    return _control(observed_db.url, parse_rollout(PLAN), "cli", clock)


def _control(url: str, plans: Any, source: str, clock: FakeClock) -> RolloutControl:
    audit = AuditLog(url)
    writer = AuditedWriter(EmbeddedFlagStore(url), audit, source)
    return RolloutControl(plans, GuardStateStore(url), writer, audit, clock=clock)


def traffic(processes: list[Process], count: int, first_caller: int = 0) -> None:
    """``count`` requests per router, each from a distinct caller; flushed to the windows."""
    for process in processes:
        for n in range(count):
            caller = f"caller-{first_caller + n}-{process.windows.process_id}"
            answer = process.router.get("/things/7", {"Authorization": f"Bearer {caller}"})
            assert answer.status_code in (200, 500)


def flush(processes: list[Process]) -> None:
    for process in processes:
        process.windows.flush()


def guard_round(processes: list[Process]) -> Verdict:
    """Every process runs its guard once; exactly one of them leads and judges."""
    verdicts = [process.guard.run_once() for process in processes]
    judged = [v for v in verdicts if v]
    assert len(judged) == 1, verdicts
    return judged[0][ROUTE]


def wait_for_mode(processes: list[Process], mode: Mode, percent: int | None = None) -> None:
    def seen() -> bool:
        flags = [p.router.app.provider.snapshot().flag_for(ROUTE) for p in processes]
        return all(f.mode is mode and percent in (None, f.percent) for f in flags)

    wait_until(seen, timeout=5)


def wait_for_comparisons(processes: list[Process], count: int) -> None:
    wait_until(lambda: sum(p.router.counters(ROUTE).comparisons for p in processes) >= count, 10)


def test_promotes_through_shadow_and_canary_to_new(processes, person, clock, observed_db):
    person.advance(ROUTE, actor="alice")
    wait_for_mode(processes, Mode.SHADOW)
    traffic(processes, 12)
    wait_for_comparisons(processes, 24)
    flush(processes)

    verdict = guard_round(processes)

    assert verdict.action is Action.PROMOTE, verdict
    wait_for_mode(processes, Mode.CANARY, 50)
    clock.advance(10)  # the canary's evidence starts in a fresh window
    traffic(processes, 30, first_caller=100)
    flush(processes)
    assert guard_round(processes).action is Action.HOLD  # not held for a minute yet
    clock.advance(61)
    assert guard_round(processes).action is Action.PROMOTE
    wait_for_mode(processes, Mode.NEW)
    events = [(e.actor, e.source, e.action) for e in AuditLog(observed_db.url).recent(10)]
    assert events == [
        ("guard", "guard", "advance"),
        ("guard", "guard", "advance"),
        ("alice", "cli", "advance"),
    ]
    assert observed_db.all("SELECT step_index, status FROM guard_state") == [(2, "running")]


def test_injected_mismatches_roll_the_shadow_back(processes, person, observed_db):
    person.advance(ROUTE, actor="alice")
    wait_for_mode(processes, Mode.SHADOW)
    guard_apps.NEW_BEHAVIOUR["mode"] = "differ"
    traffic(processes, 8)
    wait_for_comparisons(processes, 16)
    flush(processes)

    verdict = guard_round(processes)

    assert verdict.action is Action.ROLLBACK and "mismatch rate 100.00%" in verdict.reason
    wait_for_mode(processes, Mode.LEGACY)
    assert observed_db.all("SELECT status FROM guard_state") == [("rolled_back",)]
    [event] = AuditLog(observed_db.url).recent(1)
    assert event.before is not None and event.after is not None
    assert (event.action, event.before["mode"], event.after["mode"]) == (
        "rollback",
        "shadow",
        "legacy",
    )


def test_injected_5xx_roll_the_canary_back_to_legacy(processes, person, clock):
    person.advance(ROUTE, actor="alice")
    person.advance(ROUTE, actor="alice")  # canary:50 by hand
    wait_for_mode(processes, Mode.CANARY, 50)
    guard_apps.NEW_BEHAVIOUR["mode"] = "5xx"
    traffic(processes, 30)
    flush(processes)
    failed = sum(p.router.counters(ROUTE).requests["new"] for p in processes)
    assert failed >= 10  # both routers sent part of their callers to the broken side

    verdict = guard_round(processes)

    assert verdict.action is Action.ROLLBACK and "error rate 100.00%" in verdict.reason
    wait_for_mode(processes, Mode.LEGACY)
    answer = processes[1].router.get("/things/7", {"Authorization": "Bearer caller-0-router-b"})
    assert (answer.status_code, answer.headers["x-served-by"]) == (200, "legacy")


def test_too_little_traffic_pauses(processes, person, clock, observed_db):
    person.advance(ROUTE, actor="alice")
    person.advance(ROUTE, actor="alice")
    wait_for_mode(processes, Mode.CANARY, 50)
    traffic(processes, 2)
    flush(processes)
    clock.advance(61)

    verdict = guard_round(processes)

    assert verdict.action is Action.PAUSE and "inconclusive" in verdict.reason
    state = GuardStateStore(observed_db.url).get(ROUTE)
    assert state is not None and state.status is Status.PAUSED
    assert guard_round_is_idle(processes)  # a paused route is left alone
    wait_for_mode(processes, Mode.CANARY, 50)  # the flag did not move


def guard_round_is_idle(processes: list[Process]) -> bool:
    return all(not process.guard.run_once() for process in processes)


def test_the_other_process_takes_over_when_the_leader_stops(processes, person):
    person.advance(ROUTE, actor="alice")
    first = [p for p in processes if p.guard.run_once() or p.guard.leading]
    assert len(first) == 1
    first[0].guard.stop()  # it gives its lease back
    others = [p for p in processes if p is not first[0]]
    assert others[0].guard.try_lead()


def test_a_leader_that_stops_renewing_is_replaced_once_its_lease_runs_out(observed_db):
    """The lease is plain statements (no session lock): it works through PgBouncer's
    transaction pooling, and a process that does not lead holds no connection."""
    interval = 0.4  # a lease of max(3 x 0.4, 1) = 1.2 s
    a, b = (GuardRunner(cast(Any, None), cast(Any, None), observed_db.url, interval) for _ in "ab")
    try:
        assert a.try_lead() and not b.try_lead()
        assert a.try_lead()  # renewing keeps it
        time.sleep(0.5)
        assert not b.try_lead()
        time.sleep(1.0)  # a missed its renewals: the lease ran out
        assert b.try_lead() and b.leading
        assert not a.try_lead() and not a.leading
    finally:
        a.stop()
        b.stop()
    assert observed_db.scalar("SELECT count(*) FROM guard_leader") == 0

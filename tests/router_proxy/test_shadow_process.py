"""The shadow in its worker process (``shadow_isolation = "process"``, what ``strangler
serve`` runs): A7 and A8 through the worker, its priority, its bounds, its restarts."""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from rollout.types import Mode, RouteFlag, Snapshot
from router_proxy.shadow_process import ShadowProcess
from tests.conftest import Database, Owner
from tests.fixtures.rollout import wait_until
from tests.router_proxy import rawhttp
from tests.router_proxy.apps import shadow_apps
from tests.router_proxy.rollout_router import RunningRouter, running_router
from tests.router_proxy.servers import gunicorn, uvicorn_process

KEY = "GET /shadowed/{case}"
SHADOW_APPS = {
    "legacy_app": "tests.router_proxy.apps.shadow_apps:legacy",
    "new_app": "tests.router_proxy.apps.shadow_apps:new",
}
TIMEOUT = shadow_apps.HANG_SECONDS / 3
FIXED_ID = [("X-Request-Id", "a7-process-request-id")]
WORKER_START = 20.0  # a worker imports the apps and runs their lifespan

RouterFactory = Callable[..., AbstractContextManager[RunningRouter]]


def plan(sample: int) -> StaticProvider:
    return StaticProvider(
        parse_plan({"routes": {KEY: {"mode": "shadow", "shadow_sample": sample}}})
    )


@pytest.fixture
def make_router() -> RouterFactory:
    def make(sample: int = 100, **overrides: Any) -> AbstractContextManager[RunningRouter]:
        options = {
            **SHADOW_APPS,
            "shadow_isolation": "process",
            "shadow_timeout": TIMEOUT,
            **overrides,
        }
        return running_router(shadow_apps.legacy, shadow_apps.new, plan(sample), **options)

    return make


def worker(router: RunningRouter) -> ShadowProcess:
    assert isinstance(router.shadow, ShadowProcess)
    return router.shadow


def worker_pid(router: RunningRouter) -> int:
    process = worker(router).process
    assert process is not None
    return process.pid


def client_view(port: int, case: str) -> tuple[int, list[tuple[str, str]], bytes]:
    answer = rawhttp.request(port, "GET", f"/shadowed/{case}", headers=FIXED_ID)
    return answer.status, answer.headers, answer.body


@pytest.fixture(scope="module")
def unshadowed() -> Iterator[RunningRouter]:
    with running_router(shadow_apps.legacy, shadow_apps.new, plan(0)) as router:
        yield router


@pytest.mark.parametrize(
    ("case", "drop"),
    [
        pytest.param("raise", "error", id="candidate-raises"),
        pytest.param("hang", "timeout", id="candidate-hangs-3x-the-timeout"),
        pytest.param("huge", "body_cap", id="candidate-returns-1-MB"),
    ],
)
def test_a_misbehaving_candidate_in_the_worker_leaves_the_client_bytes_untouched(
    make_router, unshadowed, case, drop
):
    expected = client_view(unshadowed.port, case)
    with make_router() as router:
        seen = client_view(router.port, case)
        wait_until(lambda: router.counters(KEY).drops[drop] == 1, timeout=TIMEOUT * 5)

        assert seen == expected
        assert router.counters(KEY).comparisons == 0
        assert worker(router).sent == 1


def test_the_worker_counts_agreements_and_mismatches_in_the_router(make_router):
    with make_router() as router:
        router.get("/shadowed/ok")
        router.get("/shadowed/differ")
        wait_until(lambda: router.counters(KEY).comparisons == 2)

        assert router.counters(KEY).mismatches == 1
        status = router.get("/_strangler/status").json()
        row = next(row for row in status["routes"] if row["route"] == KEY)
        assert (row["comparisons"], row["mismatches"]) == (2, 1)


def test_a_worker_in_remote_mode_compares_over_http(make_router):
    """Remote mode: the worker copies to the candidate's own server, not to an import."""
    with (
        uvicorn_process(SHADOW_APPS["new_app"]) as new_port,
        gunicorn(SHADOW_APPS["legacy_app"]) as legacy_port,
        make_router(
            mode="remote",
            legacy_url=f"http://127.0.0.1:{legacy_port}",
            new_url=f"http://127.0.0.1:{new_port}",
        ) as router,
    ):
        router.get("/shadowed/ok")
        router.get("/shadowed/differ")
        wait_until(lambda: router.counters(KEY).comparisons == 2, timeout=WORKER_START)

        assert router.counters(KEY).mismatches == 1
        assert router.counters(KEY).drops["error"] == 0


def test_a_failing_ledger_in_the_worker_is_counted_and_the_client_served(make_router):
    unreachable = "postgresql://postgres@127.0.0.1:1/nothing"
    with make_router(database_url=unreachable) as router:
        answer = router.get("/shadowed/differ")
        wait_until(lambda: router.counters(KEY).ledger_errors == 1, timeout=10)

        assert answer.status_code == 200 and answer.json()["source"] == "same"
        assert router.counters(KEY).mismatches == 1


def test_the_worker_runs_at_idle_priority_in_its_own_session(make_router):
    with make_router() as router:
        pid = worker_pid(router)

        assert os.sched_getscheduler(pid) == os.SCHED_IDLE
        assert os.getsid(pid) == pid  # a Ctrl-C to the router's group does not reach it


def test_the_worker_runs_on_the_cpus_it_is_given(make_router):
    with make_router(shadow_cpus=(0,)) as router:
        router.get("/shadowed/ok")
        wait_until(lambda: router.counters(KEY).comparisons == 1)

        assert os.sched_getaffinity(worker_pid(router)) == {0}


def test_copies_over_the_workers_concurrency_cap_are_dropped_not_queued(make_router):
    with make_router(shadow_concurrency=1) as router:
        for _ in range(3):  # the first copy hangs; the next two find the cap taken
            assert router.get("/shadowed/hang").status_code == 200
        wait_until(lambda: router.counters(KEY).drops["timeout"] == 1, timeout=TIMEOUT * 5)

        assert router.counters(KEY).drops["cap"] == 2
        assert worker(router).sent == 1


def test_a_stalled_worker_bounds_the_backlog_and_never_runs_stale_copies(make_router):
    with make_router(shadow_concurrency=1) as router:
        shadow = worker(router)
        pid = worker_pid(router)
        os.kill(pid, signal.SIGSTOP)  # a worker that gets no CPU at all
        try:
            answers = [router.get("/shadowed/ok").status_code for _ in range(shadow.backlog + 2)]
            time.sleep(TIMEOUT + 0.2)  # every waiting copy is now older than its budget
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_until(lambda: router.counters(KEY).drops["timeout"] == shadow.backlog)

        assert answers == [200] * (shadow.backlog + 2)
        assert router.counters(KEY).drops["cap"] == 2
        assert router.counters(KEY).comparisons == 0
        assert shadow.sent == 0
        router.get("/shadowed/ok")  # and the worker is back to work
        wait_until(lambda: router.counters(KEY).comparisons == 1)


def test_a_killed_worker_is_replaced_and_copies_resume(make_router):
    with make_router() as router:
        shadow = worker(router)
        first = worker_pid(router)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not shadow.live)

        assert router.get("/shadowed/ok").status_code == 200  # while none is up: dropped
        wait_until(lambda: router.counters(KEY).drops["error"] == 1)
        wait_until(lambda: shadow.live, timeout=WORKER_START)
        assert worker_pid(router) != first
        router.get("/shadowed/ok")
        wait_until(lambda: router.counters(KEY).comparisons == 1)


def test_a_worker_that_cannot_start_costs_the_shadow_not_the_router(make_router):
    # The router serves the objects it was given; the worker must import the new app.
    with make_router(new_app="tests.router_proxy.apps.no_such_module:app") as router:
        answer = router.get("/shadowed/ok")
        wait_until(lambda: router.counters(KEY).drops["error"] == 1)

        assert answer.status_code == 200 and answer.json()["source"] == "same"
        assert not worker(router).live


def test_shutting_the_router_down_stops_its_worker(make_router):
    with make_router() as router:
        pid = worker_pid(router)
        router.get("/shadowed/ok")
        wait_until(lambda: router.counters(KEY).comparisons == 1)

    with pytest.raises(ProcessLookupError):  # exited and reaped, not a zombie
        os.kill(pid, 0)


# ---- A8 through the worker: the payments apps, imported by the worker itself ----

CREATE = "POST /api/v1/accounts"
PAYMENTS_APPS = {"legacy_app": "legacy_flask.wsgi:app", "new_app": "fastapi_app.main:app"}


@pytest.fixture
def payments_router(db: Database, request: pytest.FixtureRequest) -> Iterator[RunningRouter]:
    from fastapi_app.main import create_app as create_new
    from legacy_flask.app import create_app as create_legacy
    from tests.fastapi_app.port_client import port_settings

    flag = RouteFlag(Mode.SHADOW, shadow_sample=100, sandbox_writes=True)
    provider = StaticProvider(Snapshot(routes={CREATE: flag}))
    new_app = create_new(port_settings(request.node.nodeid, REDIS_URL=""))
    options: dict[str, Any] = {
        **PAYMENTS_APPS,
        "shadow_isolation": "process",
        "database_url": db.url,
    }
    with running_router(create_legacy(), new_app, provider, **options) as router:
        yield router


def row_counts(db: Database) -> dict[str, int]:
    tables = ("accounts", "ledger_entries", "idempotency_keys")
    return {table: db.scalar(f"SELECT count(*) FROM {table}") for table in tables}


def test_a_sandboxed_write_copied_by_the_worker_is_never_committed(payments_router, make_owner, db):
    owner: Owner = make_owner()
    before = row_counts(db)

    headers = {**owner.headers, "Idempotency-Key": secrets.token_hex(8)}
    answer = payments_router.request(
        "POST", "/api/v1/accounts", json={"currency": "EUR"}, headers=headers
    )
    counters = payments_router.counters(CREATE)
    wait_until(lambda: counters.comparisons == 1, timeout=10)

    assert answer.status_code == 201, answer.text
    assert answer.headers["x-served-by"] == "legacy"
    assert worker(payments_router).sent == 1
    after = row_counts(db)
    assert after["accounts"] == before["accounts"] + 1
    assert after["idempotency_keys"] == before["idempotency_keys"] + 1

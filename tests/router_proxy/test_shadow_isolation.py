"""A7: whatever the shadow candidate does, the client gets the primary's exact answer;
comparator and ledger failures are counted and logged, never raised."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from tests.fixtures.rollout import wait_until
from tests.router_proxy import rawhttp
from tests.router_proxy.apps import shadow_apps
from tests.router_proxy.rollout_router import RunningRouter, running_router

KEY = "GET /shadowed/{case}"
TIMEOUT = shadow_apps.HANG_SECONDS / 10
FIXED_ID = [("X-Request-Id", "a7-fixed-request-id")]


def plan(sample: int) -> StaticProvider:
    return StaticProvider(
        parse_plan({"routes": {KEY: {"mode": "shadow", "shadow_sample": sample}}})
    )


RouterFactory = Callable[..., AbstractContextManager[RunningRouter]]


@pytest.fixture
def make_router() -> RouterFactory:
    def make(
        sample: int, inline_compare_bytes: int | None = None, **overrides: Any
    ) -> AbstractContextManager[RunningRouter]:
        options = {"shadow_timeout": TIMEOUT, **overrides}
        running = running_router(shadow_apps.legacy, shadow_apps.new, plan(sample), **options)
        return _with_inline_limit(running, inline_compare_bytes)

    return make


@contextmanager
def _with_inline_limit(
    running: AbstractContextManager[RunningRouter], inline_compare_bytes: int | None
) -> Iterator[RunningRouter]:
    with running as router:
        if inline_compare_bytes is not None:
            limits = router.shadow.limits
            router.shadow.limits = replace(limits, inline_compare_bytes=inline_compare_bytes)
        yield router


# Both ways a comparison runs: small answers on the loop, large ones in a thread.
COMPARE_PATHS = [
    pytest.param(None, id="small-answers-compared-on-the-loop"),
    pytest.param(0, id="every-answer-compared-in-a-thread"),
]


@pytest.fixture(scope="module")
def unshadowed() -> Iterator[RunningRouter]:
    with running_router(shadow_apps.legacy, shadow_apps.new, plan(0)) as router:
        yield router


def client_view(port: int, case: str) -> tuple[int, list[tuple[str, str]], bytes]:
    answer = rawhttp.request(port, "GET", f"/shadowed/{case}", headers=FIXED_ID)
    return answer.status, answer.headers, answer.body


@pytest.mark.parametrize(
    ("case", "drop"),
    [
        pytest.param("raise", "error", id="candidate-raises"),
        pytest.param("hang", "timeout", id="candidate-hangs-10x-the-timeout"),
        pytest.param("huge", "body_cap", id="candidate-returns-1-MB"),
    ],
)
def test_a_misbehaving_candidate_leaves_the_client_bytes_untouched(
    make_router, unshadowed, case, drop
):
    expected = client_view(unshadowed.port, case)
    with make_router(100) as router:
        seen = client_view(router.port, case)
        wait_until(lambda: router.counters(KEY).drops[drop] == 1, timeout=TIMEOUT * 10)

        assert seen == expected
        assert router.counters(KEY).comparisons == 0
        assert router.shadow.sent == 1


@pytest.mark.parametrize("inline_compare_bytes", COMPARE_PATHS)
def test_agreeing_and_disagreeing_candidates_are_counted(make_router, inline_compare_bytes):
    with make_router(100, inline_compare_bytes) as router:
        router.get("/shadowed/ok")
        router.get("/shadowed/differ")
        wait_until(lambda: router.counters(KEY).comparisons == 2)

        assert router.counters(KEY).mismatches == 1


@pytest.mark.parametrize("inline_compare_bytes", COMPARE_PATHS)
def test_a_failing_ledger_is_counted_and_the_client_served(make_router, inline_compare_bytes):
    unreachable = "postgresql://postgres@127.0.0.1:1/nothing"
    with make_router(100, inline_compare_bytes, database_url=unreachable) as router:
        answer = router.get("/shadowed/differ")
        wait_until(lambda: router.counters(KEY).ledger_errors == 1)

        assert answer.status_code == 200 and answer.json()["source"] == "same"
        assert router.counters(KEY).mismatches == 1


def test_copies_over_the_concurrency_cap_are_dropped_not_queued(make_router):
    with make_router(100, shadow_concurrency=1) as router:
        for _ in range(3):  # the first copy hangs; the next two find the cap taken
            assert router.get("/shadowed/hang").status_code == 200
        wait_until(lambda: router.counters(KEY).drops["timeout"] == 1, timeout=TIMEOUT * 10)

        assert router.counters(KEY).drops["cap"] == 2
        assert router.shadow.sent == 1


def test_no_sample_no_copy(make_router):
    with make_router(0) as router:
        router.get("/shadowed/ok")
        # Counted once the response is out: the client may be faster than the count.
        wait_until(lambda: router.counters(KEY).requests == {"legacy": 1})

        assert router.shadow.sent == 0

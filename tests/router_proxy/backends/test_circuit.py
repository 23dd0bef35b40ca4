from __future__ import annotations

import pytest

from router_proxy.backends.circuit import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock) -> CircuitBreaker:
    return CircuitBreaker(failures=5, reset_seconds=30.0, clock=clock)


def test_opens_after_five_consecutive_failures(breaker):
    for _ in range(4):
        breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert (breaker.allow(), breaker.state) == (False, "open")


def test_a_success_resets_the_count(breaker):
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    ("trial_ok", "state_after"),
    [
        pytest.param(True, "closed", id="trial-succeeds"),
        pytest.param(False, "open", id="trial-fails"),
    ],
)
def test_half_opens_after_30s_with_one_trial(breaker, clock, trial_ok, state_after):
    for _ in range(5):
        breaker.record_failure()
    clock.now = 29.9
    assert not breaker.allow()
    clock.now = 30.0
    assert breaker.state == "half-open"
    assert breaker.allow()
    assert not breaker.allow(), "only one trial at a time"
    breaker.record_success() if trial_ok else breaker.record_failure()
    assert breaker.state == state_after


def test_a_trial_that_never_reports_back_does_not_hold_the_circuit_open(breaker, clock):
    for _ in range(5):
        breaker.record_failure()
    clock.now = 30.0
    assert breaker.allow()  # the trial's request is then cancelled: no success, no failure
    clock.now = 59.9
    assert not breaker.allow()
    clock.now = 60.0
    assert breaker.allow(), "a lost trial must not keep the backend skipped forever"

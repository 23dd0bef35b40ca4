"""A per-backend circuit breaker: after ``failures`` consecutive failures the backend is
skipped for ``reset_seconds``; then one trial request decides whether it closes again.

Example:
    >>> breaker = CircuitBreaker(failures=2, reset_seconds=30.0, clock=lambda: 0.0)
    >>> breaker.record_failure(); breaker.record_failure()
    >>> breaker.allow()
    False
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self,
        failures: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self._trial_started: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self._cool_enough() else "open"

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        if not self._cool_enough() or self._trial_pending():
            return False
        self._trial_started = self.clock()
        return True

    def record_success(self) -> None:
        self.consecutive_failures = 0
        self.opened_at = None
        self._trial_started = None

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        self._trial_started = None
        if self.opened_at is not None or self.consecutive_failures >= self.threshold:
            self.opened_at = self.clock()

    def _trial_pending(self) -> bool:
        # A trial whose request was cancelled (its client went away) never reports back;
        # after reset_seconds it stops holding the circuit open, or the backend would stay
        # skipped forever (seen in the fault bench after a PostgreSQL restart).
        started = self._trial_started
        return started is not None and self.clock() - started < self.reset_seconds

    def _cool_enough(self) -> bool:
        return self.opened_at is not None and self.clock() - self.opened_at >= self.reset_seconds

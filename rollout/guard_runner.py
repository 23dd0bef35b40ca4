"""The guard loop: in exactly one router process (a PostgreSQL advisory lock elects it),
every ``interval`` seconds, judge each running route's current step on the traffic
windows of all processes and apply the verdict (flag through the active provider's
writer, ``guard_state``, audit event).

Every router process runs a GuardRunner; the others keep trying the lock, so when the
leader dies (its session ends, the lock is released) another one takes over within one
interval. Errors are logged and the loop goes on: the guard never takes a router down.

Example:
    runner = GuardRunner(control, windows, database_url, interval=5.0)
    runner.start()          # a thread; runner.stop() at shutdown
    runner.run_once()       # what the thread does each interval (tests call it directly)
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg2

from rollout.control import RolloutControl
from rollout.errors import RolloutError
from rollout.guard import Action, StepWindows, Verdict, evaluate
from rollout.guard_state import GuardState, Status
from rollout.windows import WINDOW_SECONDS, WindowStore, totals

log = logging.getLogger(__name__)

LEADER_LOCK = 0x5354_5247_5244  # "STRGRD": one guard per database


class GuardRunner:
    def __init__(
        self,
        control: RolloutControl,
        windows: WindowStore,
        database_url: str,
        interval: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.control = control
        self.windows = windows
        self._url = database_url
        self.interval = interval
        self.clock = clock
        self._lock_conn: Any = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self._lock_conn is not None

    def try_lead(self) -> bool:
        """Hold the leader lock (kept while this process's session lives)."""
        if self._lock_conn is not None and self._still_connected():
            return True
        self._release()
        try:
            conn = psycopg2.connect(
                self._url, connect_timeout=5, application_name="strangler-guard"
            )
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,))
                won = cur.fetchone() == (True,)
        except psycopg2.Error as exc:
            log.warning("guard: leader election failed: %s", type(exc).__name__)
            return False
        if won:
            self._lock_conn = conn
        else:
            conn.close()
        return won

    def run_once(self) -> dict[str, Verdict]:
        """One round if this process leads: every running route judged, verdicts applied."""
        if not self.try_lead():
            return {}
        verdicts: dict[str, Verdict] = {}
        for state in self.control.states.all():
            if state.status is Status.RUNNING and state.route_key in self.control.plans:
                verdicts[state.route_key] = self._judge(state)
        return verdicts

    def _judge(self, state: GuardState) -> Verdict:
        plan = self.control.plan(state.route_key)
        step = plan.steps[min(state.step_index, len(plan.steps) - 1)]
        now = datetime.fromtimestamp(self.clock(), UTC)
        since = _window_floor(state.step_started)
        stats = totals(self.windows.since(state.route_key, since))
        verdict = evaluate(step, StepWindows(stats, now - state.step_started), plan.bounds)
        if verdict.action is not Action.HOLD:
            log.info(
                "guard: %s %s at %s: %s", verdict.action, state.route_key, step, verdict.reason
            )
            self.control.apply(state, verdict)
        return verdict

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="strangler-guard", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._release()

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.run_once()
            except RolloutError as exc:
                log.warning("guard round failed: %s", exc)

    def _still_connected(self) -> bool:
        try:
            with self._lock_conn.cursor() as cur:
                cur.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False

    def _release(self) -> None:
        if self._lock_conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self._lock_conn.close()  # ending the session releases the lock
            self._lock_conn = None


def _window_floor(at: datetime) -> datetime:
    """The start of the window ``at`` falls in: that window's traffic counts for the step."""
    seconds = at.timestamp()
    return datetime.fromtimestamp(seconds - seconds % WINDOW_SECONDS, UTC)

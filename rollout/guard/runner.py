"""The guard loop: in exactly one router process (a lease in ``guard_leader`` elects it),
every ``interval`` seconds, judge each running route's current step on the traffic
windows of all processes and apply the verdict (flag through the active provider's
writer, ``guard_state``, audit event).

Every router process runs a GuardRunner; the leader renews its lease each round, the
others try to take it each round, so when the leader dies (its lease runs out after
``LEASE_ROUNDS`` rounds) or stops (it gives the lease back) another one takes over within
one interval. The lease is one statement on the shared connections (``rollout.pg``): it
works through PgBouncer in transaction mode, which a session advisory lock does not, and
a process that does not lead holds no connection of its own. A transition itself runs
under ``guard_state``'s per-route transaction lock, so a leader that stalled past its
lease cannot apply a step twice. Errors are logged and the loop goes on: the guard never
takes a router down.

Example:
    runner = GuardRunner(control, windows, database_url, interval=5.0)
    runner.start()          # a thread; runner.stop() at shutdown
    runner.run_once()       # what the thread does each interval (tests call it directly)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg2

from rollout.errors import RolloutError
from rollout.guard.bounds import Action, StepWindows, Verdict, evaluate
from rollout.guard.control import RolloutControl
from rollout.guard.state import GuardState, Status
from rollout.pg import Lease, Outage
from rollout.telemetry.windows import WINDOW_SECONDS, WindowStore, new_process_id, totals

log = logging.getLogger(__name__)

LEADER = "guard"  # one guard per database
LEASE_ROUNDS = 3  # a leader that missed this many renewals is replaced
_TAKE_OR_RENEW = """
INSERT INTO strangler.guard_leader (name, holder, expires_at)
VALUES (%(name)s, %(me)s, now() + %(ttl)s * interval '1 second')
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
WHERE guard_leader.holder = EXCLUDED.holder OR guard_leader.expires_at < now()
RETURNING holder
"""
_GIVE_BACK = "DELETE FROM strangler.guard_leader WHERE name = %(name)s AND holder = %(me)s"


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
        self._db = Lease(database_url)
        self.holder = new_process_id()
        self.interval = interval
        self.clock = clock
        self._leading = False
        self._outage = Outage("guard leader election")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self._leading

    def try_lead(self) -> bool:
        """Take the lease, or renew it when this process holds it already."""
        ttl = max(LEASE_ROUNDS * self.interval, 1.0)
        try:
            with self._db.cursor() as cur:
                cur.execute(_TAKE_OR_RENEW, {"name": LEADER, "me": self.holder, "ttl": ttl})
                self._leading = cur.fetchone() is not None
        except psycopg2.Error as exc:
            self._outage.failed(exc)
            self._leading = False
            return False
        self._outage.worked()
        return self._leading

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

    def _release(self) -> None:
        """Give the lease back (another process takes it at its next round)."""
        if self._leading:
            self._leading = False
            try:
                with self._db.cursor() as cur:
                    cur.execute(_GIVE_BACK, {"name": LEADER, "me": self.holder})
            except psycopg2.Error as exc:  # it runs out by itself
                log.warning("guard: lease not given back: %s", type(exc).__name__)
        self._db.close()


def _window_floor(at: datetime) -> datetime:
    """The start of the window ``at`` falls in: that window's traffic counts for the step."""
    seconds = at.timestamp()
    return datetime.fromtimestamp(seconds - seconds % WINDOW_SECONDS, UTC)

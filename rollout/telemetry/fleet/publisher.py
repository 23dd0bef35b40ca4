"""One router process's side of the fleet counters: publish what changed, survive a fold.

The process's counters only grow, and it publishes them as absolute values. If the store
folded this process into ``retired`` (it was unseen past the stale bound: a long pause,
a database outage), what it had published already counts there; the publisher then takes
that as a baseline, starts under a new process id and publishes only what came after,
so nothing counts twice.

Example:
    publisher = FleetPublisher(PostgresFleetStore(url), "host:1:ab")
    publisher.publish({("GET /api/v1/me", "requests.new"): 3})
    publisher.retire()
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from rollout.telemetry.fleet.store import FleetStore, Values
from rollout.telemetry.windows import new_process_id

log = logging.getLogger(__name__)


class FleetPublisher:
    def __init__(
        self,
        store: FleetStore,
        process_id: str | None = None,
        new_id: Callable[[], str] = new_process_id,
    ) -> None:
        self.store = store
        self.process_id = process_id or new_id()
        self._new_id = new_id
        self._registered = False
        self._published: dict[tuple[str, str], int] = {}
        self._baseline: Counter[tuple[str, str]] = Counter()

    def publish(self, values: Values) -> None:
        """Store this process's values (a heartbeat when none changed). Raises FleetError."""
        if self._store(values):
            return
        log.warning("fleet: process %s was folded into retired; going on as a new one",
                    self.process_id)  # fmt: skip
        self._baseline.update(self._published)
        self._published = {}
        self._registered = False
        self.process_id = self._new_id()
        self._store(values)

    def retire(self) -> None:
        """Fold this process's counters into ``retired`` (at shutdown). Raises FleetError."""
        if self._registered:
            self.store.retire(self.process_id)
        self._registered = False

    def _store(self, values: Values) -> bool:
        own = {key: value - self._baseline[key] for key, value in values.items()}
        changed = (
            {key: value for key, value in own.items() if self._published.get(key) != value}
            if self._registered
            else own
        )
        if not self.store.publish(self.process_id, changed, register=not self._registered):
            return False
        self._registered = True
        self._published.update(changed)
        return True

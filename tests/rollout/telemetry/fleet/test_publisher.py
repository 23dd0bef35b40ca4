"""The publisher: only what changed goes out, and a fold never makes anything count twice."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

from rollout.telemetry.fleet import FleetPublisher

KEY = "GET /api/v1/payments/{payment_id}"


def test_values_published_after_a_fold_are_counted_once(make_store):
    store = make_store()
    ids = (f"p{n}" for n in itertools.count(1))
    publisher = FleetPublisher(store, new_id=lambda: next(ids))
    publisher.publish({(KEY, "requests.new"): 3})
    time.sleep(0.01)
    store.fold_stale(timedelta(0))  # e.g. the router was paused past the stale bound

    publisher.publish({(KEY, "requests.new"): 5, (KEY, "mismatches"): 1})

    assert store.totals() == {KEY: {"requests.new": 5, "mismatches": 1}}
    assert publisher.process_id == "p2"
    own = {p.process_id: p.routes for p in store.per_process()}
    assert own["p2"] == {KEY: {"requests.new": 2, "mismatches": 1}}


def test_retire_moves_the_counters_and_a_restart_adds_to_them(make_store):
    store = make_store()
    first = FleetPublisher(store, "first")
    first.publish({(KEY, "requests.legacy"): 10})
    first.retire()

    second = FleetPublisher(make_store(), "second")  # the restarted router
    second.publish({(KEY, "requests.legacy"): 1})

    assert store.totals() == {KEY: {"requests.legacy": 11}}

"""Fleet stores: absolute values per process in, sums out, nothing lost on a fold."""

from __future__ import annotations

import time
from datetime import timedelta

from rollout.telemetry.fleet import RETIRED

KEY = "GET /api/v1/me"


def test_totals_sum_every_process_and_a_repeated_publish_counts_once(make_store):
    store = make_store()
    store.publish("a", {(KEY, "requests.new"): 2}, register=True)
    store.publish("b", {(KEY, "requests.new"): 3, (KEY, "drops.busy"): 1}, register=True)
    store.publish("b", {(KEY, "requests.new"): 3}, register=False)

    assert store.totals() == {KEY: {"requests.new": 5, "drops.busy": 1}}


def test_a_retired_process_still_counts_and_comes_last(make_store):
    store = make_store()
    store.publish("a", {(KEY, "requests.legacy"): 4}, register=True)
    store.publish("b", {(KEY, "requests.legacy"): 1}, register=True)
    store.retire("a")
    store.publish("c", {(KEY, "requests.legacy"): 2}, register=True)
    store.retire("c")

    assert store.totals() == {KEY: {"requests.legacy": 7}}
    processes = store.per_process()
    assert [p.process_id for p in processes] == ["b", RETIRED]
    assert processes[-1].seen_at is None and processes[-1].routes == {KEY: {"requests.legacy": 6}}


def test_a_folded_process_is_told_so_and_its_publish_stores_nothing(make_store):
    store = make_store()
    store.publish("a", {(KEY, "comparisons"): 5}, register=True)
    time.sleep(0.01)
    assert store.fold_stale(timedelta(0)) == 1

    assert store.publish("a", {(KEY, "comparisons"): 9}, register=False) is False
    assert store.totals() == {KEY: {"comparisons": 5}}


def test_fold_stale_leaves_live_processes_alone(make_store):
    store = make_store()
    store.publish("a", {(KEY, "mismatches"): 1}, register=True)

    assert store.fold_stale() == 0
    assert [p.process_id for p in store.per_process()] == ["a"]


def test_counters_survive_a_new_connection(make_store):
    make_store().publish("a", {(KEY, "requests.new"): 8}, register=True)

    assert make_store().totals() == {KEY: {"requests.new": 8}}


def test_a_heartbeat_of_an_unknown_process_stores_nothing(make_store):
    store = make_store()

    assert store.publish("ghost", {(KEY, "requests.new"): 1}, register=False) is False
    assert store.totals() == {}

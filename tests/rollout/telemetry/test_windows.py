"""WindowStore on the real database: two stores are two router processes; readers see
their sum, percentiles come from the summed histogram, old rows are pruned."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from rollout.pg import Lease
from rollout.telemetry.windows import WindowStore, percentile, totals
from tests.rollout.observed_db import FakeClock, observed_db

__all__ = ["observed_db"]
ROUTE = "GET /things/{thing_id}"


@pytest.fixture
def clock():
    return FakeClock(time.time())


@pytest.fixture
def two_processes(observed_db, clock):
    stores = [WindowStore(observed_db.url, process_id=name, clock=clock) for name in ("a", "b")]
    yield stores
    for store in stores:
        store.close()


def test_two_processes_are_summed_per_window(two_processes, clock, observed_db):
    a, b = two_processes
    for _ in range(90):
        a.request(ROUTE, "new", 200, 0.004)  # 2.5..5 ms bucket
    for _ in range(9):
        b.request(ROUTE, "new", 503, 3.0)  # slow failures: the p99
    b.request(ROUTE, "new", 200, 0.004)
    a.comparison(ROUTE, "new", mismatch=True)
    b.comparison(ROUTE, "new", mismatch=False)
    b.drop(ROUTE, "new", "timeout")
    a.request(ROUTE, "legacy", 200, 0.02)

    assert a.flush() == 2 and b.flush() == 1
    a.request(ROUTE, "new", 404, 0.004)  # the same window again: added to a's row
    a.flush()

    assert observed_db.scalar("SELECT count(*) FROM route_windows") == 3
    [legacy, new] = a.recent(ROUTE, minutes=5)
    assert (new.backend, new.requests, new.status_2xx, new.status_4xx, new.status_5xx) == (
        "new",
        101,
        91,
        1,
        9,
    )
    assert (new.comparisons, new.mismatches, new.shadow_drops) == (2, 1, 1)
    assert new.mismatch_rate == 0.5
    assert new.error_rate == pytest.approx(9 / 101)
    assert 2.5 < new.p50_ms <= 5
    assert 2500 < new.p99_ms <= 5000
    assert legacy.requests == 1


def test_windows_split_by_time_and_route(two_processes, clock):
    a, b = two_processes
    a.request(ROUTE, "new", 200, 0.001)
    clock.advance(10)
    b.request(ROUTE, "new", 200, 0.001)
    a.request("GET /other", "legacy", 200, 0.001)
    a.flush(), b.flush()

    assert [w.requests for w in a.recent(ROUTE, minutes=1)] == [1, 1]
    assert {w.route_key for w in a.recent(None, minutes=1)} == {ROUTE, "GET /other"}
    assert totals(a.recent(ROUTE, minutes=1))["new"].requests == 2
    clock.advance(120)
    assert a.recent(ROUTE, minutes=1) == []


def test_prune_deletes_every_process_old_rows(two_processes, clock, observed_db):
    a, b = two_processes
    a.request(ROUTE, "new", 200, 0.001)
    b.request(ROUTE, "new", 200, 0.001)
    a.flush(), b.flush()
    clock.advance(a.retention.total_seconds() + 60)
    a.request(ROUTE, "new", 200, 0.001)
    a.flush()

    assert a.prune() == 2
    assert observed_db.scalar("SELECT count(*) FROM route_windows") == 1


def test_a_failed_flush_keeps_its_tallies(observed_db, clock):
    store = WindowStore("postgresql://postgres@127.0.0.1:1/none", clock=clock)
    store.request(ROUTE, "new", 200, 0.001)
    from rollout.errors import WindowError

    with pytest.raises(WindowError):
        store.flush()
    store._db.close()
    store._db = Lease(observed_db.url)  # the database is back
    assert store.flush() == 1
    assert totals(store.recent(ROUTE, minutes=1))["new"].requests == 1
    store.close()


@pytest.mark.parametrize(
    ("counts", "q", "expected"),
    [
        pytest.param((0, 4, 0), 0.5, 15.0, id="middle-of-bucket"),
        pytest.param((4, 0, 0), 0.99, 9.9, id="first-bucket-from-zero"),
        pytest.param((0, 0, 3), 0.5, 20.0, id="overflow-reports-last-bound"),
        pytest.param((0, 0, 0), 0.5, None, id="no-samples"),
    ],
)
def test_percentile(counts, q, expected):
    assert percentile((10, 20, float("inf")), counts, q) == expected


def test_retention_is_configurable(observed_db):
    assert WindowStore(observed_db.url, retention=timedelta(minutes=5)).retention.seconds == 300


def test_the_fleet_totals_sum_every_process_and_keep_the_counters_the_guard_does_not_read(
    two_processes,
):
    a, b = two_processes
    for store, n in ((a, 3), (b, 2)):
        for _ in range(n):
            store.request(ROUTE, "legacy", 200, 0.001)
    a.comparison(ROUTE, "new", mismatch=True)
    b.drop(ROUTE, "new", "busy")
    b.drop(ROUTE, "new", "busy")
    a.fallback(ROUTE, "5xx")
    a.counted(ROUTE, "skipped_writes")
    b.counted(ROUTE, "compare_errors", 2)
    a.flush(), b.flush()
    b.drop(ROUTE, "new", "timeout")  # the same window again: added key by key
    b.flush()

    assert a.totals() == {
        ROUTE: {
            "requests.legacy": 5,
            "comparisons": 1,
            "mismatches": 1,
            "drops.busy": 2,
            "drops.timeout": 1,
            "fallbacks.5xx": 1,
            "skipped_writes": 1,
            "compare_errors": 2,
        }
    }
    processes = {p.process_id: p.routes[ROUTE] for p in b.per_process()}
    assert processes["a"]["requests.legacy"] == 3 and processes["b"]["drops.busy"] == 2


def test_what_pruned_windows_counted_stays_in_the_totals_as_retired(
    two_processes, clock, observed_db
):
    a, b = two_processes
    a.request(ROUTE, "legacy", 200, 0.001)
    a.drop(ROUTE, "new", "cap")
    b.request(ROUTE, "legacy", 200, 0.001)
    a.flush(), b.flush()
    clock.advance(a.retention.total_seconds() + 60)
    b.request(ROUTE, "legacy", 200, 0.001)
    b.flush()

    before = a.totals()
    assert a.prune() == 3  # a's legacy and new rows (the drop), b's legacy row
    assert a.prune() == 0  # nothing is rolled up twice

    assert a.totals() == before == {ROUTE: {"requests.legacy": 3, "drops.cap": 1}}
    [live, retired] = a.per_process()
    assert (live.process_id, live.routes[ROUTE]) == ("b", {"requests.legacy": 1})
    assert (retired.process_id, retired.seen_at) == ("retired", None)
    assert retired.routes[ROUTE] == {"requests.legacy": 2, "drops.cap": 1}

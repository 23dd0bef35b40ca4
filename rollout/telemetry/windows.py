"""Traffic windows shared by every router process: what the guard, the dashboard and the
fleet totals of ``/_strangler/status`` read. The one cross-process counter store.

Each router process tallies requests, status classes, a latency histogram, shadow
comparisons, mismatches and drops per route, backend and 10-second window in memory (one
lock, a dict lookup and a bisect per request), plus the counters the guard does not read
(drops and fallbacks by reason, skipped writes, compare and ledger errors) in the row's
``counters``; a background thread flushes the tallies every few seconds into
``route_windows`` (migrations 0003, 0007), adding to this process's own row. Readers sum
the rows of all processes; percentiles come from the summed histogram, which is why
latency is a fixed-bucket histogram and not a list of samples.

A flush that fails (database down) keeps its tallies and retries with the next one, so
an outage delays the numbers instead of losing them; rows older than ``retention`` are
pruned by the flushing thread. Each flush also adds what it wrote to ``route_window_totals``
in the same transaction: ``totals()`` (every router since the first started) reads that
one small table, not every window (1.1 s for 200k window rows, measured), and pruning
leaves it alone.

Example:
    store = WindowStore("postgresql://postgres@127.0.0.1:5432/test")
    store.request("GET /api/v1/me", "new", status=200, seconds=0.004)
    store.flush()
    [w.p99_ms for w in store.recent("GET /api/v1/me", minutes=5)]
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from rollout.errors import WindowError
from rollout.pg import Lease, Outage, first_line
from rollout.telemetry.counts import RETIRED, Counts, ProcessCounts

WINDOW_SECONDS = 10
# Milliseconds upper bounds; the last bucket catches everything slower.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    1,
    2.5,
    5,
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    2500,
    5000,
    10000,
    math.inf,
)
BACKENDS = ("legacy", "new")

_UPSERT = """
INSERT INTO strangler.route_windows AS w (route_key, backend, window_start, process_id, requests,
    status_2xx, status_3xx, status_4xx, status_5xx, latency_bounds_ms, latency_counts,
    comparisons, mismatches, shadow_drops, counters)
VALUES %s
ON CONFLICT (route_key, backend, window_start, process_id) DO UPDATE SET
    requests = w.requests + EXCLUDED.requests,
    status_2xx = w.status_2xx + EXCLUDED.status_2xx,
    status_3xx = w.status_3xx + EXCLUDED.status_3xx,
    status_4xx = w.status_4xx + EXCLUDED.status_4xx,
    status_5xx = w.status_5xx + EXCLUDED.status_5xx,
    latency_counts = ARRAY(
        SELECT old + new FROM unnest(w.latency_counts, EXCLUDED.latency_counts) AS t(old, new)
    ),
    comparisons = w.comparisons + EXCLUDED.comparisons,
    mismatches = w.mismatches + EXCLUDED.mismatches,
    shadow_drops = w.shadow_drops + EXCLUDED.shadow_drops,
    counters = strangler.strangler_add_counters(w.counters, EXCLUDED.counters)
"""
# Every counter of a window row by its fleet name (router_proxy.stats.RouteCounters.flat).
_COUNTED = """
    SELECT route_key, process_id, 'requests.' || backend AS name, requests AS value FROM {rows}
    UNION ALL SELECT route_key, process_id, 'comparisons', comparisons FROM {rows}
    UNION ALL SELECT route_key, process_id, 'mismatches', mismatches FROM {rows}
    UNION ALL SELECT route_key, process_id, c.key, c.value::bigint
              FROM {rows}, jsonb_each_text({rows}.counters) AS c
"""
_TOTALS = "SELECT route_key, name, value FROM strangler.route_window_totals WHERE value > 0"
_ADD_TOTALS = """
INSERT INTO strangler.route_window_totals AS t (route_key, name, value) VALUES %s
ON CONFLICT (route_key, name) DO UPDATE SET value = t.value + EXCLUDED.value
"""
# Each process's windows, then "retired": what the totals hold beyond them (pruned windows).
_PER_PROCESS = f"""
WITH counted AS ({_COUNTED.format(rows="strangler.route_windows")}),
seen AS (SELECT process_id, max(window_start) AS at FROM strangler.route_windows GROUP BY 1),
live AS (SELECT route_key, name, sum(value) AS value FROM counted GROUP BY 1, 2)
SELECT c.route_key, c.process_id, c.name, sum(c.value), max(seen.at)
FROM counted AS c JOIN seen USING (process_id)
WHERE c.value > 0 GROUP BY c.route_key, c.process_id, c.name
UNION ALL
SELECT t.route_key, %(retired)s, t.name, t.value - coalesce(live.value, 0), NULL
FROM strangler.route_window_totals AS t LEFT JOIN live USING (route_key, name)
WHERE t.value - coalesce(live.value, 0) > 0
"""
_SUMMED = """
SELECT route_key, backend, window_start, latency_bounds_ms, sum(requests), sum(status_2xx),
       sum(status_3xx), sum(status_4xx), sum(status_5xx), sum(comparisons), sum(mismatches),
       sum(shadow_drops), array_agg(latency_counts)
FROM strangler.route_windows
WHERE window_start >= %(since)s AND (%(route)s::text IS NULL OR route_key = %(route)s)
GROUP BY route_key, backend, window_start, latency_bounds_ms
ORDER BY route_key, backend, window_start
"""


@dataclass(frozen=True, slots=True)
class WindowStats:
    """One route and backend over one window (or, summed, over several)."""

    route_key: str
    backend: str
    window_start: datetime
    requests: int = 0
    status_2xx: int = 0
    status_3xx: int = 0
    status_4xx: int = 0
    status_5xx: int = 0
    latency_counts: tuple[int, ...] = (0,) * len(LATENCY_BOUNDS_MS)
    comparisons: int = 0
    mismatches: int = 0
    shadow_drops: int = 0
    latency_bounds_ms: tuple[float, ...] = LATENCY_BOUNDS_MS

    @property
    def error_rate(self) -> float:
        """Share of requests answered 5xx (0.0 without requests)."""
        return self.status_5xx / self.requests if self.requests else 0.0

    @property
    def mismatch_rate(self) -> float:
        return self.mismatches / self.comparisons if self.comparisons else 0.0

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latency_bounds_ms, self.latency_counts, 0.50)

    @property
    def p99_ms(self) -> float | None:
        return percentile(self.latency_bounds_ms, self.latency_counts, 0.99)

    def __add__(self, other: WindowStats) -> WindowStats:
        counts = self.latency_counts
        if other.latency_bounds_ms == self.latency_bounds_ms:
            counts = tuple(a + b for a, b in zip(counts, other.latency_counts, strict=True))
        return replace(
            self,
            window_start=min(self.window_start, other.window_start),
            requests=self.requests + other.requests,
            status_2xx=self.status_2xx + other.status_2xx,
            status_3xx=self.status_3xx + other.status_3xx,
            status_4xx=self.status_4xx + other.status_4xx,
            status_5xx=self.status_5xx + other.status_5xx,
            latency_counts=counts,
            comparisons=self.comparisons + other.comparisons,
            mismatches=self.mismatches + other.mismatches,
            shadow_drops=self.shadow_drops + other.shadow_drops,
        )


def percentile(bounds: Sequence[float], counts: Sequence[int], q: float) -> float | None:
    """The q-quantile in ms, interpolated inside its bucket; None without samples.

    >>> percentile((10, 20, math.inf), (0, 4, 0), 0.5)
    15.0
    """
    total = sum(counts)
    if total == 0:
        return None
    rank, seen, lower = q * total, 0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count and seen + count >= rank:
            if math.isinf(bound):
                return lower  # slower than the last finite bound: report that bound
            return lower + (bound - lower) * (rank - seen) / count
        seen += count
        lower = bound if not math.isinf(bound) else lower
    return lower


def totals(windows: Iterable[WindowStats]) -> dict[str, WindowStats]:
    """Windows summed per backend."""
    summed: dict[str, WindowStats] = {}
    for window in windows:
        found = summed.get(window.backend)
        summed[window.backend] = window if found is None else found + window
    return summed


def window_start(at: float) -> datetime:
    start = at - at % WINDOW_SECONDS
    return datetime.fromtimestamp(start, UTC)


@dataclass(slots=True)
class _Tally:
    requests: int = 0
    statuses: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # 2xx, 3xx, 4xx, 5xx
    latency: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BOUNDS_MS))
    comparisons: int = 0
    mismatches: int = 0
    drops: int = 0
    counters: Counter[str] = field(default_factory=Counter)  # fleet names: drops.busy, ...

    def add(self, other: _Tally) -> None:
        self.requests += other.requests
        self.statuses = [a + b for a, b in zip(self.statuses, other.statuses, strict=True)]
        self.latency = [a + b for a, b in zip(self.latency, other.latency, strict=True)]
        self.comparisons += other.comparisons
        self.mismatches += other.mismatches
        self.drops += other.drops
        self.counters.update(other.counters)


_Key = tuple[str, str, float]  # route key, backend, window start (epoch seconds)


class WindowStore:
    """The sink a router process records into, and the reader of every process's rows."""

    def __init__(
        self,
        database_url: str,
        *,
        process_id: str | None = None,
        flush_interval: float = 2.0,
        retention: timedelta = timedelta(hours=6),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.process_id = process_id or new_process_id()
        self.flush_interval = flush_interval
        self.retention = retention
        self.clock = clock
        self._pending: dict[_Key, _Tally] = {}
        self._lock = threading.Lock()
        self._db = Lease(database_url)
        self._stopping = threading.Event()
        self._outage = Outage("route_windows: flush")
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    # --- the request path: StatsSink ---

    def request(self, route_key: str, backend: str, status: int, seconds: float) -> None:
        bucket = bisect.bisect_left(LATENCY_BOUNDS_MS, seconds * 1000)
        status_class = min(max(status // 100, 2), 5) - 2 if status else 3  # no answer: 5xx
        with self._lock:
            tally = self._tally(route_key, backend)
            tally.requests += 1
            tally.statuses[status_class] += 1
            tally.latency[bucket] += 1

    def comparison(self, route_key: str, backend: str, mismatch: bool) -> None:
        with self._lock:
            tally = self._tally(route_key, backend)
            tally.comparisons += 1
            tally.mismatches += mismatch

    def drop(self, route_key: str, backend: str, reason: str) -> None:
        with self._lock:
            tally = self._tally(route_key, backend)
            tally.drops += 1
            tally.counters[f"drops.{reason}"] += 1

    def fallback(self, route_key: str, reason: str) -> None:
        """The guard's error rate sees a fallback as the new side's failed ``request``
        (status 0 or 5xx); the reason is kept for the totals."""
        self.counted(route_key, f"fallbacks.{reason}")

    def counted(self, route_key: str, name: str, n: int = 1) -> None:
        """A counter the guard does not read (``skipped_writes``, ``compare_errors``, ...)."""
        with self._lock:
            self._tally(route_key, "new").counters[name] += n

    def rejection(self, reason: str) -> None:
        """Rejections are counted as the 503s they answer with, in ``request``."""

    def _tally(self, route_key: str, backend: str) -> _Tally:
        at = self.clock()
        key = (route_key, backend, at - at % WINDOW_SECONDS)
        found = self._pending.get(key)
        if found is None:
            found = self._pending[key] = _Tally()
        return found

    # --- the flushing thread ---

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="strangler-windows", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with contextlib.suppress(WindowError):
            self.flush()
        self.close()

    def close(self) -> None:
        self._db.close()

    def _run(self) -> None:
        while not self._stopping.wait(self.flush_interval):
            try:
                self.flush()
                self._prune_now_and_then()
                self._outage.worked()
            except WindowError as exc:  # the tallies wait for the next round
                self._outage.failed(exc)

    def _prune_now_and_then(self) -> None:
        now = self.clock()
        if now - self._last_prune >= 60:
            self._last_prune = now
            self.prune()

    def flush(self) -> int:
        """Write what this process tallied since the last flush; returns rows written.
        Raises WindowError (the tallies are kept for the next flush)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        rows = [self._row(key, tally) for key, tally in pending.items()]
        added = _fleet_counts(pending)

        def write(cur: Any) -> None:
            cur.execute("BEGIN")  # the windows and the totals they add to: both or neither
            try:
                psycopg2.extras.execute_values(cur, _UPSERT, rows)
                if added:
                    psycopg2.extras.execute_values(cur, _ADD_TOTALS, added)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

        try:
            self._execute(write)
        except WindowError:
            self._restore(pending)
            raise
        return len(rows)

    def _row(self, key: _Key, tally: _Tally) -> tuple[Any, ...]:
        route_key, backend, start = key
        return (
            route_key,
            backend,
            datetime.fromtimestamp(start, UTC),
            self.process_id,
            tally.requests,
            *tally.statuses,
            list(LATENCY_BOUNDS_MS),
            tally.latency,
            tally.comparisons,
            tally.mismatches,
            tally.drops,
            psycopg2.extras.Json(dict(tally.counters)),
        )

    def _restore(self, pending: dict[_Key, _Tally]) -> None:
        oldest = self.clock() - self.retention.total_seconds()
        with self._lock:
            for key, tally in pending.items():
                if key[2] >= oldest:  # an outage longer than retention forgets, not hoards
                    self._tally_at(key).add(tally)

    def _tally_at(self, key: _Key) -> _Tally:
        found = self._pending.get(key)
        if found is None:
            found = self._pending[key] = _Tally()
        return found

    def prune(self) -> int:
        """Delete every process's rows older than ``retention`` (the totals keep their
        counts); returns rows deleted."""
        cutoff = datetime.fromtimestamp(self.clock(), UTC) - self.retention
        deleted: list[int] = []

        def delete(cur: Any) -> None:
            cur.execute("DELETE FROM strangler.route_windows WHERE window_start < %s", (cutoff,))
            deleted.append(cur.rowcount)

        self._execute(delete)
        return deleted[0]

    # --- the fleet totals: every router process since the first started ---

    def per_process(self) -> list[ProcessCounts]:
        """Each process's counters in the windows kept (last seen: its newest window), then
        ``retired``: what the totals hold beyond them. This process's unflushed tallies are
        not in it (``flush`` first). Raises WindowError."""
        rows: list[tuple[Any, ...]] = []

        def select(cur: Any) -> None:
            cur.execute(_PER_PROCESS, {"retired": RETIRED})
            rows.extend(cur.fetchall())

        self._execute(select)
        seen: dict[str, datetime | None] = {}
        counts: dict[str, Counts] = {}
        for route_key, process_id, name, value, last in rows:
            seen[process_id] = last
            counts.setdefault(process_id, {}).setdefault(route_key, {})[name] = int(value)
        order = sorted(seen, key=lambda pid: (pid == RETIRED, pid))
        return [ProcessCounts(pid, seen[pid], counts[pid]) for pid in order]

    def totals(self) -> Counts:
        """Every process since the first started (``route_window_totals``). Raises
        WindowError."""
        rows: list[tuple[Any, ...]] = []

        def select(cur: Any) -> None:
            cur.execute(_TOTALS)
            rows.extend(cur.fetchall())

        self._execute(select)
        counts: Counts = {}
        for route_key, name, value in rows:
            counts.setdefault(route_key, {})[name] = int(value)
        return counts

    # --- readers ---

    def recent(self, route_key: str | None = None, minutes: float = 5) -> list[WindowStats]:
        """Per route, backend and window of the last ``minutes``, summed across processes,
        ordered by route, backend, window start. Raises WindowError."""
        since = datetime.fromtimestamp(self.clock(), UTC) - timedelta(minutes=minutes)
        return self.since(route_key, since)

    def since(self, route_key: str | None, since: datetime) -> list[WindowStats]:
        """Like ``recent``, for windows that start at or after ``since``."""
        rows: list[tuple[Any, ...]] = []

        def select(cur: Any) -> None:
            cur.execute(_SUMMED, {"since": since, "route": route_key})
            rows.extend(cur.fetchall())

        self._execute(select)
        return _merge_bounds(_stats_from_row(row) for row in rows)

    def _execute(self, action: Callable[[Any], None]) -> None:
        try:
            with self._db.cursor() as cur:
                action(cur)
        except psycopg2.Error as exc:
            raise WindowError(f"route_windows: {type(exc).__name__}: {first_line(exc)}") from exc


def _fleet_counts(pending: dict[_Key, _Tally]) -> list[tuple[str, str, int]]:
    """(route key, fleet name, count) of what a flush writes, for the running totals."""
    added: Counter[tuple[str, str]] = Counter()
    for (route_key, backend, _), tally in pending.items():
        added[(route_key, f"requests.{backend}")] += tally.requests
        added[(route_key, "comparisons")] += tally.comparisons
        added[(route_key, "mismatches")] += tally.mismatches
        for name, n in tally.counters.items():
            added[(route_key, name)] += n
    return [(route_key, name, n) for (route_key, name), n in sorted(added.items()) if n]


def _stats_from_row(row: tuple[Any, ...]) -> WindowStats:
    key, backend, start, bounds, *sums, histograms = row
    requests, s2, s3, s4, s5, comparisons, mismatches, drops = (int(v) for v in sums)
    counts = [sum(column) for column in zip(*histograms, strict=True)]
    return WindowStats(
        key,
        backend,
        start,
        requests,
        s2,
        s3,
        s4,
        s5,
        tuple(counts),
        comparisons,
        mismatches,
        drops,
        tuple(bounds),
    )


def _merge_bounds(stats: Iterable[WindowStats]) -> list[WindowStats]:
    """Rows of one window written with different bucket bounds (an upgrade mid-window)
    become one; the histogram of the first bounds wins."""
    merged: dict[tuple[str, str, datetime], WindowStats] = {}
    for item in stats:
        key = (item.route_key, item.backend, item.window_start)
        found = merged.get(key)
        merged[key] = item if found is None else found + item
    return list(merged.values())


def new_process_id() -> str:
    """Host, pid and a random tail: unique across restarts that reuse a pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"

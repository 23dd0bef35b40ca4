"""Build WindowStats for the guard's tables without a database."""

from __future__ import annotations

import bisect
from datetime import UTC, datetime

from rollout.telemetry.windows import LATENCY_BOUNDS_MS, WindowStats

START = datetime(2026, 1, 1, tzinfo=UTC)


def stats(
    backend: str,
    requests: int = 0,
    errors: int = 0,
    latency_ms: float = 5.0,
    comparisons: int = 0,
    mismatches: int = 0,
) -> WindowStats:
    counts = [0] * len(LATENCY_BOUNDS_MS)
    counts[bisect.bisect_left(LATENCY_BOUNDS_MS, latency_ms)] = requests
    return WindowStats(
        "GET /things/{thing_id}",
        backend,
        START,
        requests=requests,
        status_2xx=requests - errors,
        status_5xx=errors,
        latency_counts=tuple(counts),
        comparisons=comparisons,
        mismatches=mismatches,
    )

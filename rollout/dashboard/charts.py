"""Server-side line charts for one route: latency (p50/p99 per backend) and the share of
traffic the new backend served, per window. The output is geometry (polyline points and
axis labels) that a template turns into inline SVG: no JavaScript, nothing to escape but
the labels.

Example:
    >>> from datetime import datetime, timezone
    >>> from rollout.telemetry.windows import WindowStats
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> chart = share_chart([WindowStats("GET /x", "new", t, requests=1),
    ...                      WindowStats("GET /x", "legacy", t, requests=3)])
    >>> chart.series[0].values
    (25.0,)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rollout.telemetry.windows import WindowStats

WIDTH, HEIGHT, PAD = 640, 200, 40


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    css_class: str
    values: tuple[float | None, ...]  # one per x position; None: no traffic then
    dots: tuple[tuple[float, float], ...]  # (x, y) of each value: one window draws no line

    @property
    def points(self) -> str:
        """SVG polyline ``"x,y x,y"``."""
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.dots)


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    unit: str
    y_max: float
    x_labels: tuple[tuple[float, str], ...]  # (x, "HH:MM") at a few positions
    series: tuple[Series, ...]
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def empty(self) -> bool:
        return all(v is None for s in self.series for v in s.values)


def latency_chart(windows: Sequence[WindowStats]) -> Chart:
    starts = _starts(windows)
    series = [
        _values(windows, starts, backend, name, lambda w: w.p50_ms if w.requests else None)
        for backend, name in (("legacy", "p50"), ("new", "p50"))
    ] + [
        _values(windows, starts, backend, name, lambda w: w.p99_ms if w.requests else None)
        for backend, name in (("legacy", "p99"), ("new", "p99"))
    ]
    return _chart("Latency (ms)", "ms", starts, series)


def share_chart(windows: Sequence[WindowStats]) -> Chart:
    starts = _starts(windows)
    by_start: dict[datetime, dict[str, int]] = {}
    for window in windows:
        by_start.setdefault(window.window_start, {})[window.backend] = window.requests
    shares: list[float | None] = []
    for start in starts:
        counts = by_start.get(start, {})
        total = sum(counts.values())
        shares.append(100.0 * counts.get("new", 0) / total if total else None)
    return _chart("Traffic served by new (%)", "%", starts, [("new share", "new", shares)], 100.0)


def _starts(windows: Sequence[WindowStats]) -> list[datetime]:
    return sorted({w.window_start for w in windows})


def _values(
    windows: Sequence[WindowStats],
    starts: Sequence[datetime],
    backend: str,
    name: str,
    pick: Callable[[WindowStats], float | None],
) -> tuple[str, str, list[float | None]]:
    found = {w.window_start: pick(w) for w in windows if w.backend == backend}
    css = f"{backend} {name}"
    return f"{backend} {name}", css, [found.get(start) for start in starts]


def _chart(
    title: str,
    unit: str,
    starts: Sequence[datetime],
    raw: Sequence[tuple[str, str, list[float | None]]],
    y_max: float | None = None,
) -> Chart:
    top = y_max or max((v for _, _, values in raw for v in values if v is not None), default=1.0)
    top = top or 1.0
    series = tuple(
        Series(name, css, tuple(values), _dots(values, top)) for name, css, values in raw
    )
    return Chart(title, unit, round(top, 1), _x_labels(starts), series)


def _x(index: int, count: int) -> float:
    span = WIDTH - 2 * PAD
    return PAD + (span * index / (count - 1) if count > 1 else span / 2)


def _dots(values: Sequence[float | None], top: float) -> tuple[tuple[float, float], ...]:
    span = HEIGHT - 2 * PAD
    return tuple(
        (round(_x(i, len(values)), 1), round(HEIGHT - PAD - span * v / top, 1))
        for i, v in enumerate(values)
        if v is not None
    )


def _x_labels(starts: Sequence[datetime]) -> tuple[tuple[float, str], ...]:
    if not starts:
        return ()
    step = max(1, len(starts) // 4)
    picked = list(range(0, len(starts), step))
    return tuple((_x(i, len(starts)), starts[i].strftime("%H:%M:%S")) for i in picked)

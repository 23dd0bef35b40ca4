from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.harness import WrkResult
from bench.router import (
    COMPARISONS,
    NGINX,
    RAW_PROXY,
    REMOTE,
    ROUTER_LEGACY,
    ROUTER_NEW,
    TARGETS,
    TEMPLATE,
    Measured,
    interleaved,
    median_results,
    nginx_config,
    render,
    rows_for,
)


def result(rps: float, p99: float = 10.0, errors: int = 0) -> WrkResult:
    return WrkResult(rps, p99 / 2, p99, errors, int(rps * 5))


def measured(rps: float, cpu_us: float = 100.0) -> Measured:
    return Measured(result(rps), cpu_us)


def all_targets(rps: float) -> dict[str, Measured]:
    """Every goal met: the in-process legacy route must beat gunicorn by 10%."""
    results = {t.name: measured(rps) for t in TARGETS}
    results[ROUTER_LEGACY] = measured(rps * 1.1)
    return results


def test_rounds_interleave_every_target_once_per_round() -> None:
    order = interleaved(["a", "b", "c"], rounds=2)
    assert order == [(0, "a"), (0, "b"), (0, "c"), (1, "a"), (1, "b"), (1, "c")]


def test_medians_per_target_and_errors_summed() -> None:
    samples = {"x": [result(100, errors=1), result(300, errors=2), result(200)]}
    merged = median_results(samples)["x"]
    assert (merged.rps, merged.p99_ms, merged.errors) == (200, 10.0, 3)


@pytest.mark.parametrize(
    ("shim_rps", "met"),
    [
        pytest.param(1000.0, True, id="equal-meets-the-goal"),
        pytest.param(890.0, False, id="just-under-0.90"),
    ],
)
def test_ratio_against_the_goal(shim_rps: float, met: bool) -> None:
    results = all_targets(1000.0)
    results[ROUTER_NEW] = measured(shim_rps)
    (row,) = [r for r in rows_for(50, results) if r.comparison.shim == ROUTER_NEW]
    assert row.ratio == pytest.approx(shim_rps / 1000.0)
    assert row.met is met


def test_every_comparison_names_measured_targets() -> None:
    names = {t.name for t in TARGETS}
    assert all(c.shim in names and c.baseline in names for c in COMPARISONS)
    assert all(c.floor in names for c in COMPARISONS if c.floor)


def test_the_control_row_is_shown_but_never_a_goal() -> None:
    results = all_targets(1000.0)
    results["fastapi direct, again (A/A)"] = measured(500.0)
    text = render(rows_for(50, results), {50: results}, "note")
    assert "Missed goals" not in text
    assert "| 0.50 | - | control |" in text


@pytest.mark.parametrize(
    ("floor_rps", "verdict"),
    [
        pytest.param(700.0, "out of reach of a Python front end", id="floor-misses-too"),
        pytest.param(950.0, "the rest is the shim's own cost", id="floor-meets-it"),
    ],
)
def test_a_miss_is_explained_from_the_measured_cpu(floor_rps: float, verdict: str) -> None:
    results = all_targets(1000.0)
    results[REMOTE] = Measured(result(500.0), 300.0)
    results[NGINX] = Measured(result(1000.0), 100.0)
    results[RAW_PROXY] = Measured(result(floor_rps), 180.0)
    text = render(rows_for(50, results), {50: results}, "note")
    missed = re.findall(r"^- (.+?), c=50: ([\d.]+)\. (.+)$", text, re.MULTILINE)
    assert [(label, ratio) for label, ratio, _ in missed] == [
        ("remote mode ÷ nginx proxy_pass", "0.50")
    ]
    explanation = missed[0][2]
    assert "300 us of CPU per request against the baseline's 100 us (+200 us)" in explanation
    assert "0.90 allows about +11 us" in explanation
    assert f"reaches {floor_rps / 1000:.2f} at +80 us" in explanation
    assert verdict in explanation
    assert text.count("| **no** |") == 1
    assert "| nginx -> gunicorn `/legacy/hello` | 1,000 | 100 | 0 |" in text


def test_memory_is_listed_per_process_with_its_children() -> None:
    results = all_targets(1000.0)
    memory = {"router": {"main": 80 * 2**20, "child 1": 60 * 2**20}, "gunicorn": {"main": 2**25}}
    text = render(rows_for(50, results), {50: results}, "note", memory)
    assert "| router | 80 | 60 |" in text
    assert "| gunicorn | 32 | none |" in text


def test_render_has_no_miss_section_when_all_goals_are_met() -> None:
    results = all_targets(1000.0)
    assert "Missed goals" not in render(rows_for(200, results), {200: results}, "note")


def test_nginx_config_fills_every_placeholder_and_keeps_nginx_variables(tmp_path: Path) -> None:
    text = nginx_config(TEMPLATE.read_text(), tmp_path, listen_port=18080, upstream_port=18081)
    assert "listen 127.0.0.1:18080;" in text
    assert "server 127.0.0.1:18081;" in text
    assert f"pid {tmp_path}/nginx.pid;" in text
    assert "proxy_set_header Host $host;" in text
    assert "${" not in text and "$$" not in text

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.harness import WrkResult
from bench.router import (
    COMPARISONS,
    TARGETS,
    TEMPLATE,
    interleaved,
    median_results,
    nginx_config,
    render,
    rows_for,
)


def result(rps: float, p99: float = 10.0, errors: int = 0) -> WrkResult:
    return WrkResult(rps, p99 / 2, p99, errors, int(rps * 5))


def all_targets(rps: float) -> dict[str, WrkResult]:
    return {t.name: result(rps) for t in TARGETS}


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
        pytest.param(1000.0, True, id="equal-meets-every-goal"),
        pytest.param(940.0, False, id="just-under-0.95"),
    ],
)
def test_ratio_against_the_goal(shim_rps: float, met: bool) -> None:
    results = all_targets(1000.0)
    results["router in-process, new"] = result(shim_rps)
    row = rows_for(50, results)[0]
    assert row.comparison.shim == "router in-process, new"
    assert row.ratio == pytest.approx(shim_rps / 1000.0)
    assert row.met is met


def test_every_comparison_names_measured_targets() -> None:
    names = {t.name for t in TARGETS}
    assert all(c.shim in names and c.baseline in names for c in COMPARISONS)


def test_render_explains_only_the_missed_goals() -> None:
    results = all_targets(1000.0)
    results["router remote, legacy"] = result(500.0)
    text = render(rows_for(50, results), {50: results}, "note")
    missed = re.findall(r"^- (.+?), c=50: ([\d.]+)\.", text, re.MULTILINE)
    assert missed == [
        ("remote mode ÷ gunicorn direct (same core)", "0.50"),
        ("remote mode ÷ nginx proxy_pass (keepalive upstream)", "0.50"),
    ]
    assert text.count("| **no** |") == 2
    assert "| nginx -> gunicorn `/legacy/hello` | 1,000 | 0 |" in text


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

from __future__ import annotations

import pytest

from bench.router_steps import render, step_costs

ORDER = ["access line", "Prometheus metrics", "dispatcher core"]


def test_each_part_is_what_switching_it_off_saved() -> None:
    medians = {"access line": 150.0, "Prometheus metrics": 130.0, "dispatcher core": 120.0}
    assert step_costs(medians, ORDER) == [("access line", 20.0), ("Prometheus metrics", 10.0)]


@pytest.mark.parametrize(
    ("row", "text"),
    [
        pytest.param("access line", "| access line | 20.0 | 40% |", id="first-part"),
        pytest.param("core", "| dispatcher core (exchange", id="core-row"),
        pytest.param("alone", "| - header cleaning, alone | 5.0 | 10% |", id="core-step"),
        pytest.param("total", "| **router in all** | **50.0** | 100% |", id="total"),
    ],
)
def test_render_shares_are_of_what_the_router_adds(row: str, text: str) -> None:
    medians = {
        "FastAPI alone": 100.0,
        "access line": 150.0,
        "Prometheus metrics": 130.0,
        "dispatcher core": 120.0,
    }
    rendered = render(medians, {"header cleaning": 5.0}, ORDER)
    assert text in rendered
    assert (
        "| dispatcher core (exchange, body, send wrapper, scope copy, and the steps below) "
        "| 20.0 | 40% |" in rendered
    )

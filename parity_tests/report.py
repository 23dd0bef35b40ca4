"""The HTML report: per route pass/fail, each difference as a JSON path, both values side by side.

Values are rendered escaped (Jinja2 autoescape); they come from the apps' answers, in
which the harness never puts credentials (requests are not part of the report).

Example:
    >>> from parity_tests.results import ParityResult
    >>> "PASS" in render_html([ParityResult("me", "GET /api/v1/me", "read", "pass")])
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from parity_tests.results import ParityResult

_ORDER = ("error", "fail", "accepted", "skipped", "pass")
_env = Environment(
    loader=PackageLoader("parity_tests", "templates"), autoescape=select_autoescape(["html"])
)


def route_status(results: Sequence[ParityResult]) -> str:
    """The worst status among a route's cases."""
    return min((r.status for r in results), key=_ORDER.index, default="pass")


def render_html(results: Sequence[ParityResult]) -> str:
    by_route: dict[str, list[ParityResult]] = {}
    for result in results:
        by_route.setdefault(result.route, []).append(result)
    routes: list[tuple[str, dict[str, Any]]] = [
        (route, {"status": route_status(rows), "results": rows})
        for route, rows in sorted(
            by_route.items(), key=lambda item: (_ORDER.index(route_status(item[1])), item[0])
        )
    ]
    totals = sorted(Counter(r.status for r in results).items(), key=lambda t: _ORDER.index(t[0]))
    return _env.get_template("report.html").render(routes=routes, totals=totals)


def write_html(results: Sequence[ParityResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(results), encoding="utf-8")

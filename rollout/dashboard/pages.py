"""The dashboard's pages (GET): the overview, one route, the audit log.

Every page needs a principal (session or bearer token), else 401 with the login form.
Sources are read off the event loop (they are blocking database or HTTP clients); a
source that fails shows as a notice on the page, never as a 500.

Example:
    GET /_strangler/                               every route, mismatches, audit log
    GET /_strangler/routes/route.get.api.v1.me     one route: charts and controls
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from rollout.dashboard.charts import latency_chart, share_chart
from rollout.dashboard.context import DashboardContext
from rollout.dashboard.overview import error_rate, overview_rows, total_rows
from rollout.errors import RolloutError, RouteKeyError
from rollout.naming import route_key_for_flag
from rollout.types import Mode

log = logging.getLogger(__name__)
T = TypeVar("T")
MODES = [mode.value for mode in Mode]


async def overview(request: Request) -> Response:
    ctx: DashboardContext = request.app.state.dashboard
    principal = ctx.principal(request)
    if principal is None:
        return ctx.unauthorized(request)
    notices: list[str] = []
    sources = ctx.sources
    minutes = ctx.settings.minutes
    windows = await _read(notices, "traffic", sources.traffic, lambda s: s.recent(None, minutes))
    coverage = await _read(notices, "coverage", sources.coverage, lambda c: c())
    totals = await _read(notices, "fleet counters", sources.totals, lambda t: t())
    snapshot = sources.snapshot()
    values = {
        "principal": principal,
        "rows": overview_rows(sources.route_keys(), snapshot, windows or [], coverage or {}),
        "kill_switch": snapshot.kill_switch,
        "flag_health": sources.flag_health(),
        "minutes": minutes,
        "has_coverage": coverage is not None,
        "totals": None if totals is None else total_rows(totals),
        "mismatches": await _read(notices, "ledger", sources.mismatches, lambda m: m.latest(10)),
        "audit": await _read(notices, "audit", sources.audit, lambda a: a.recent(20)),
        "rollouts": await _read(notices, "rollout", sources.rollouts, lambda r: r.rows()),
        **_common(ctx, notices),
    }
    return ctx.render(request, "overview.html", values)


async def route_page(request: Request) -> Response:
    ctx: DashboardContext = request.app.state.dashboard
    principal = ctx.principal(request)
    if principal is None:
        return ctx.unauthorized(request)
    try:
        key = route_key_for_flag(request.path_params["flag_name"])
    except RouteKeyError:
        return ctx.render(request, "error.html", {"message": "No such route."}, 404)
    notices: list[str] = []
    sources = ctx.sources
    minutes = ctx.settings.minutes
    windows = await _read(notices, "traffic", sources.traffic, lambda s: s.recent(key, minutes))
    snapshot = sources.snapshot()
    # overview_rows adds every flagged route: pick this page's own row out of them.
    rows = overview_rows([key], snapshot, windows or [], {})
    values = {
        "principal": principal,
        "row": next(row for row in rows if row.key == key),
        "flag": snapshot.flag_for(key),
        "kill_switch": snapshot.kill_switch,
        "minutes": minutes,
        "charts": [latency_chart(windows or []), share_chart(windows or [])],
        "mismatches": await _read(
            notices, "ledger", sources.mismatches, lambda m: m.latest(20, key)
        ),
        "audit": await _read(notices, "audit", sources.audit, lambda a: a.recent(50, key)),
        "rollouts": await _read(notices, "rollout", sources.rollouts, lambda r: r.rows()),
        **_common(ctx, notices),
    }
    return ctx.render(request, "route.html", values)


async def audit_page(request: Request) -> Response:
    ctx: DashboardContext = request.app.state.dashboard
    principal = ctx.principal(request)
    if principal is None:
        return ctx.unauthorized(request)
    notices: list[str] = []
    events = await _read(notices, "audit", ctx.sources.audit, lambda a: a.recent(200))
    values = {"principal": principal, "audit": events, **_common(ctx, notices)}
    return ctx.render(request, "audit.html", values)


def _common(ctx: DashboardContext, notices: list[str]) -> dict[str, Any]:
    return {
        "notices": notices,
        "modes": MODES,
        "can_change": ctx.sources.changes is not None,
        "read_only_reason": ctx.sources.read_only_reason,
        "error_rate": error_rate,
    }


async def _read(notices: list[str], name: str, source: T | None, read: Callable[[T], Any]) -> Any:
    if source is None:
        return None
    try:
        return await asyncio.to_thread(read, source)
    except RolloutError as exc:
        log.warning("dashboard source %s failed: %s", name, type(exc).__name__)
        notices.append(f"{name} unavailable: {exc}")
        return None

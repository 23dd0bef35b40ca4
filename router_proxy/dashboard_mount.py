"""Mount the migration dashboard (``rollout.dashboard``) on a built router: every
``/_strangler/...`` path the router does not answer itself goes to it.

The dashboard reads the router's route table and flag snapshot, the shared traffic
windows, the parity ledger and the audit log, and changes flags through the writer of the
same provider the router reads (embedded store, or the Unleash admin API with
``UNLEASH_ADMIN_TOKEN``). Without a database or a writer it is read-only and says why.

Its 404 and 405 answers are the router's JSON error shape, like every other answer under
``/_strangler/`` that is not a page.

Example:
    assembly = assemble(settings, provider)
    attach_dashboard(assembly, raw_toml, os.environ)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from rollout.dashboard import CoverageCell, DashboardSources, build_dashboard, dashboard_settings
from rollout.dashboard.changes import FlagChanges
from rollout.dashboard.mismatches import MismatchReader
from rollout.dashboard.rollouts import DashboardRollouts
from rollout.errors import PlanError
from rollout.flags.audit import AuditLog
from rollout.flags.settings import flag_settings, flag_writer
from rollout.guard.state import GuardStateStore
from rollout.guard.steps import parse_rollout
from rollout.telemetry.windows import WindowStore
from router_proxy.endpoints import SERVED_BY, flag_health
from router_proxy.errors import error_body
from router_proxy.lifespan import closing

if TYPE_CHECKING:
    from router_proxy.assembly import Assembly

CoverageSource = Callable[[], Mapping[str, CoverageCell]]


def attach_dashboard(
    assembly: Assembly,
    raw: Mapping[str, Any],
    env: Mapping[str, str],
    flags: str | None = None,
    coverage: CoverageSource | None = None,
) -> DashboardSources:
    """Raises PlanError when ``[dashboard]`` does not parse."""
    settings = dashboard_settings(raw, env)
    table, provider = assembly.table, assembly.provider
    sources = DashboardSources(
        route_keys=lambda: [route.key for route in table],
        snapshot=provider.snapshot,
        flag_health=lambda: flag_health(provider),
        coverage=coverage,
    )
    if assembly.fleet is not None:
        sources.totals = assembly.fleet.windows.totals
    url = assembly.settings.database_url
    if url:
        _attach_database_sources(assembly, sources, url)
        _attach_changes(sources, raw, env, flags, url)
    else:
        sources.read_only_reason = "DATABASE_URL is not set: changes need the audit log"
    handlers = {404: _json_error, 405: _json_error}
    assembly.dashboard = build_dashboard(settings, sources, handlers)
    return sources


async def _json_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "method_not_allowed"
    message = "Resource not found." if exc.status_code == 404 else "Method not allowed."
    headers = {**(exc.headers or {}), SERVED_BY[0].decode(): SERVED_BY[1].decode()}
    body = error_body(code, message)
    return Response(body, exc.status_code, headers, media_type="application/json")


def _attach_database_sources(assembly: Assembly, sources: DashboardSources, url: str) -> None:
    sources.audit = AuditLog(url)
    sources.mismatches = MismatchReader(url)
    windows = WindowStore(url)  # a reader only: never started, flushes nothing
    sources.traffic = windows

    assembly.run(closing(lambda: asyncio.to_thread(windows.close)))


def _attach_changes(
    sources: DashboardSources,
    raw: Mapping[str, Any],
    env: Mapping[str, str],
    flags: str | None,
    url: str,
) -> None:
    try:
        writer = flag_writer(flag_settings(raw, env, flags), url)
    except PlanError as exc:
        sources.read_only_reason = str(exc)
        return
    keys = sources.route_keys
    sources.changes = FlagChanges(writer, AuditLog(url), lambda: frozenset(keys()))
    # The rollout buttons: the same transitions as `strangler rollout` (raises PlanError).
    sources.rollouts = DashboardRollouts(
        parse_rollout(raw), GuardStateStore(url), writer, AuditLog(url)
    )

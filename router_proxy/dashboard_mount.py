"""Mount the migration dashboard (``rollout.dashboard``) on a built router: every
``/_strangler/...`` path the router does not answer itself goes to it.

The dashboard reads the router's route table and flag snapshot, the shared traffic
windows, the parity ledger and the audit log, and changes flags through the writer of the
same provider the router reads (embedded store, or the Unleash admin API with
``UNLEASH_ADMIN_TOKEN``). Without a database or a writer it is read-only and says why.

Example:
    router = build_app(settings, provider)
    attach_dashboard(router, raw_toml, os.environ)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from rollout.audit import AuditLog
from rollout.dashboard import CoverageCell, DashboardSources, build_dashboard, dashboard_settings
from rollout.dashboard.changes import FlagChanges
from rollout.dashboard.mismatches import MismatchReader
from rollout.dashboard.rollouts import DashboardRollouts
from rollout.errors import PlanError
from rollout.guard_state import GuardStateStore
from rollout.providers.settings import flag_settings, flag_writer
from rollout.steps import parse_rollout
from rollout.windows import WindowStore
from router_proxy.dispatch import RouterApp
from router_proxy.endpoints import flag_health

CoverageSource = Callable[[], Mapping[str, CoverageCell]]


def attach_dashboard(
    router: RouterApp,
    raw: Mapping[str, Any],
    env: Mapping[str, str],
    flags: str | None = None,
    coverage: CoverageSource | None = None,
) -> DashboardSources:
    """Raises PlanError when ``[dashboard]`` does not parse."""
    settings = dashboard_settings(raw, env)
    sources = DashboardSources(
        route_keys=lambda: [route.key for route in router.table],
        snapshot=router.provider.snapshot,
        flag_health=lambda: flag_health(router),
        coverage=coverage,
    )
    if router.fleet is not None:
        sources.totals = router.fleet.publisher.store.totals
    url = router.settings.database_url
    if url:
        _attach_database_sources(router, sources, url)
        _attach_changes(router, sources, raw, env, flags, url)
    else:
        sources.read_only_reason = "DATABASE_URL is not set: changes need the audit log"
    router.dashboard = build_dashboard(settings, sources)
    return sources


def _attach_database_sources(router: RouterApp, sources: DashboardSources, url: str) -> None:
    sources.audit = AuditLog(url)
    sources.mismatches = MismatchReader(url)
    windows = WindowStore(url)  # a reader only: never started, flushes nothing
    sources.traffic = windows

    async def close_windows() -> None:
        await asyncio.to_thread(windows.close)

    router.closers.append(close_windows)


def _attach_changes(
    router: RouterApp,
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

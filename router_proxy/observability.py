"""Attach what watches a built router: Prometheus metrics, the shared traffic windows and,
when ``strangler.toml`` has ``[rollout."KEY"]`` steps, the guard.

- metrics: always (``/_strangler/metrics``), gauges sampled once a second;
- fleet: with ``DATABASE_URL`` (or ``counters_url``), this process's counters published for
  the fleet-wide totals of ``/_strangler/status`` (``router_proxy.fleet``);
- windows: with ``DATABASE_URL``, this process's tallies flushed to ``route_windows``;
- guard: with windows, rollout steps and a writable flag provider (embedded, or Unleash
  with ``UNLEASH_ADMIN_TOKEN``); every process runs one, an advisory lock lets one act.

Example:
    router = build_app(settings, provider)
    attach_observability(router, raw_toml, os.environ)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from rollout.audit import AuditLog
from rollout.control import RolloutControl
from rollout.errors import PlanError
from rollout.fleet import FleetPublisher, open_fleet
from rollout.guard_runner import GuardRunner
from rollout.guard_state import GuardStateStore
from rollout.providers.audited import AuditedWriter
from rollout.providers.settings import flag_settings, flag_writer
from rollout.steps import guard_interval, parse_rollout
from rollout.windows import WindowStore, new_process_id
from router_proxy.dispatch import RouterApp
from router_proxy.fleet import FleetLink
from router_proxy.metrics import PrometheusSink, mark_process_dead, sample_forever

log = logging.getLogger(__name__)


def attach_observability(
    router: RouterApp, raw: Mapping[str, Any], env: Mapping[str, str], flags: str | None = None
) -> GuardRunner | None:
    """Raises PlanError when ``[rollout]`` or ``[guard]`` does not parse."""
    plans = parse_rollout(raw)
    interval = guard_interval(raw)
    attach_metrics(router)
    process_id = new_process_id()  # one name in route_windows and in the fleet counters
    attach_fleet(router, process_id)
    url = router.settings.database_url
    if not url:
        return None
    windows = attach_windows(router, url, process_id)
    if not plans:
        return None
    try:
        writer = flag_writer(flag_settings(raw, env, flags), url)
    except PlanError as exc:
        log.warning("guard off: %s", exc)
        return None
    audit = AuditLog(url)
    control = RolloutControl(
        plans, GuardStateStore(url), AuditedWriter(writer, audit, "guard"), audit
    )
    runner = GuardRunner(control, windows, url, interval)
    _run_in_thread(router, runner.start, runner.stop)
    return runner


def attach_metrics(router: RouterApp) -> None:
    router.stats.sinks.append(PrometheusSink())
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.get_running_loop().create_task(sample_forever(router)))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        mark_process_dead()

    router.starters.append(start)
    router.closers.append(stop)


def attach_fleet(
    router: RouterApp, process_id: str | None = None, interval: float = 2.0
) -> FleetLink | None:
    """``interval``: seconds between publishes, so how far behind the other processes'
    share of the totals can be."""
    store = open_fleet(router.settings.counters_url, router.settings.database_url)
    if store is None:
        return None
    publisher = FleetPublisher(store, process_id)
    link = router.fleet = FleetLink(router.stats, publisher, interval)
    router.starters.append(link.start)
    router.closers.append(link.close)
    return link


def attach_windows(
    router: RouterApp, database_url: str, process_id: str | None = None
) -> WindowStore:
    windows = WindowStore(database_url, process_id=process_id)
    router.stats.sinks.append(windows)
    _run_in_thread(router, windows.start, windows.stop)
    return windows


def _run_in_thread(router: RouterApp, start: Any, stop: Any) -> None:
    async def started() -> None:
        await asyncio.to_thread(start)

    async def stopped() -> None:
        await asyncio.to_thread(stop)

    router.starters.append(started)
    router.closers.append(stopped)

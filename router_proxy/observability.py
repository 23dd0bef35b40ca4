"""Attach what watches a router being assembled: Prometheus metrics, the shared traffic
windows and, when ``strangler.toml`` has ``[rollout."KEY"]`` steps, the guard.

- metrics: always (``/_strangler/metrics``), gauges sampled once a second;
- windows: with ``DATABASE_URL``, this process's tallies flushed to ``route_windows``,
  the one cross-process store: the guard's numbers, and the fleet-wide totals of
  ``/_strangler/status`` (``router_proxy.fleet``);
- guard: with windows, rollout steps and a writable flag provider (embedded, or Unleash
  with ``UNLEASH_ADMIN_TOKEN``); every process runs one, an advisory lock lets one act.
  It starts after the windows it reads, so it stops before them.

Example:
    assembly = assemble(settings, provider)
    attach_observability(assembly, raw_toml, os.environ)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rollout.errors import PlanError
from rollout.flags.audit import AuditLog
from rollout.flags.audited import AuditedWriter
from rollout.flags.settings import flag_settings, flag_writer
from rollout.guard.control import RolloutControl
from rollout.guard.runner import GuardRunner
from rollout.guard.state import GuardStateStore
from rollout.guard.steps import guard_interval, parse_rollout
from rollout.telemetry.windows import WindowStore
from rollout.types import Backend
from router_proxy.fleet import FleetLink
from router_proxy.lifespan import background, closing, in_thread
from router_proxy.metrics import PrometheusSink, mark_process_dead, sample_forever

if TYPE_CHECKING:
    from router_proxy.assembly import Assembly

log = logging.getLogger(__name__)


def attach_observability(
    assembly: Assembly, raw: Mapping[str, Any], env: Mapping[str, str], flags: str | None = None
) -> GuardRunner | None:
    """Raises PlanError when ``[rollout]`` or ``[guard]`` does not parse."""
    plans = parse_rollout(raw)
    interval = guard_interval(raw)
    attach_metrics(assembly)
    url = assembly.settings.database_url
    if not url:
        return None
    windows = attach_windows(assembly, url)
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
    assembly.run(in_thread(runner.start, runner.stop))
    return runner


def attach_metrics(assembly: Assembly) -> None:
    assembly.stats.sinks.append(PrometheusSink())
    provider, legacy = assembly.provider, assembly.backends[Backend.LEGACY]

    async def marked_dead() -> None:
        mark_process_dead()

    assembly.run(closing(marked_dead))
    assembly.run(background(lambda: sample_forever(provider, legacy)))


def attach_windows(
    assembly: Assembly, database_url: str, process_id: str | None = None
) -> WindowStore:
    windows = assembly.windows = WindowStore(database_url, process_id=process_id)
    assembly.stats.sinks.append(windows)
    assembly.fleet = FleetLink(windows)
    assembly.run(in_thread(windows.start, windows.stop))
    return windows

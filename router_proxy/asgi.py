"""The composition root: settings in, one ASGI app out.

Every part of a router is made here (or by the ``attach_*`` functions it calls, each given
the ``Assembly`` in progress, ``router_proxy.assembly``), in the order the parts depend on
each other; ``build()`` then freezes them into one ``RouterApp``. Nothing is assigned onto
a router after that.

Example (serve it with any ASGI server)::

    from router_proxy.asgi import build_app
    from router_proxy.config import Settings

    app = build_app(Settings(legacy_app="myapp.wsgi:app", new_app="myapi.main:app"))
    # uvicorn.run(app, lifespan="on")
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rollout.evidence.compare import CompareRules
from rollout.flags.base import FlagProvider
from router_proxy.app import RouterApp
from router_proxy.assembly import (
    Apps,
    Assembly,
    assemble,
    build_backends,
    import_app,
    import_legacy_app,
    import_new_app,
)
from router_proxy.config import Settings, load_settings
from router_proxy.fallback import FallbackRules
from router_proxy.lifespan import closing
from router_proxy.routes import RouteTable, build_route_table

if TYPE_CHECKING:
    from router_proxy.dashboard_mount import CoverageSource

__all__ = [
    "Apps",
    "Assembly",
    "assemble",
    "build_app",
    "build_backends",
    "build_router",
    "import_app",
    "import_legacy_app",
    "import_new_app",
    "load_route_table",
]


def build_app(
    settings: Settings,
    provider: FlagProvider | None = None,
    apps: Apps | None = None,
    fallback: FallbackRules | None = None,
) -> RouterApp:
    """The router alone: routes, flags, backends; no shadow, recorder or dashboard."""
    assembly = assemble(settings, provider, apps)
    if fallback is not None:
        assembly.fallback = fallback
    return assembly.build()


def build_router(
    raw: Mapping[str, Any],
    env: Mapping[str, str],
    overrides: Mapping[str, Any],
    flags: str | None = None,
    coverage: CoverageSource | None = None,
    apps: Apps | None = None,
    provider: FlagProvider | None = None,
    rules: Mapping[str, CompareRules] | None = None,
    extend: Callable[[Assembly], object] | None = None,
) -> RouterApp:
    """What ``strangler serve`` runs: settings, the ``[flags]`` provider (``flags``
    overrides it; ``provider`` replaces it), shadow with comparator (``rules`` replace
    ``[compare."KEY"]``) and ledger, owner lookups, the traffic recorder
    (``[record_sample]``), metrics, windows (the fleet counters) and guard, the dashboard
    (``coverage`` feeds its parity column). ``apps`` as for ``build_app``; ``extend`` is
    given the assembly last, before it is built. Raises ConfigError or PlanError."""
    from rollout.evidence.compare import load_rules
    from rollout.flags.factory import build_provider
    from rollout.flags.settings import flag_settings
    from rollout.traffic.recordings import RecordingStore
    from router_proxy.dashboard_mount import attach_dashboard
    from router_proxy.fallback import load_fallback
    from router_proxy.observability import attach_observability
    from router_proxy.recorder import attach_recorder
    from router_proxy.wiring import attach_rollout

    settings = load_settings(raw, env, overrides)
    flag_config = flag_settings(raw, env, flags)
    if provider is None:
        provider = build_provider(flag_config, raw, settings.database_url or None)
    assembly = assemble(settings, provider, apps)
    assembly.fallback = load_fallback(raw)
    attach_rollout(
        assembly, load_rules(raw) if rules is None else rules, flag_config.refresh_interval
    )
    attach_recorder(assembly, raw)
    if settings.database_url:
        store = assembly.docs_store = RecordingStore(settings.database_url)
        assembly.run(closing(lambda: asyncio.to_thread(store.close)))
    attach_observability(assembly, raw, env, flags)
    attach_dashboard(assembly, raw, env, flags, coverage)
    if extend is not None:
        extend(assembly)
    return assembly.build()


def load_route_table(settings: Settings) -> RouteTable:
    legacy = import_legacy_app(settings)
    return build_route_table(legacy, import_new_app(settings), settings.legacy_routes)

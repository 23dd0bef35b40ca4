"""The composition root: settings in, one ASGI app out.

Example (serve it with any ASGI server)::

    from router_proxy.asgi import build_app
    from router_proxy.config import Settings

    app = build_app(Settings(legacy_app="myapp.wsgi:app", new_app="myapi.main:app"))
    # uvicorn.run(app, lifespan="on")
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollout.providers.base import FlagProvider
from rollout.providers.static import StaticProvider
from rollout.types import Snapshot
from router_proxy.backends.absent import AbsentBackend
from router_proxy.backends.base import Backend
from router_proxy.backends.inprocess import LegacyInProcess, NewInProcess
from router_proxy.backends.remote import RemoteBackend
from router_proxy.config import Settings, load_settings
from router_proxy.dispatch import RouterApp, ShadowHook
from router_proxy.errors import ConfigError
from router_proxy.merged_docs import MergedDocs
from router_proxy.new_docs import NewAppDocs
from router_proxy.openapi import legacy_operations
from router_proxy.routes import RouteTable, build_route_table

if TYPE_CHECKING:
    from router_proxy.dashboard_mount import CoverageSource


@dataclass(frozen=True, slots=True)
class Apps:
    """The two apps as objects, for a caller that holds them already (the middleware form,
    whose new app is the one it sits in). ``new`` None: legacy serves every route."""

    legacy: Any
    new: Any


def build_app(
    settings: Settings,
    provider: FlagProvider | None = None,
    shadow_hook: ShadowHook | None = None,
    apps: Apps | None = None,
) -> RouterApp:
    """``apps``: the app objects; by default imported from the settings' import strings."""
    apps = apps or Apps(import_app(settings.legacy_app), import_new_app(settings))
    table = build_route_table(apps.legacy, apps.new)
    legacy, new = build_backends(settings, apps.legacy, apps.new)
    provider = provider or StaticProvider(Snapshot())
    router = RouterApp(table, provider, legacy, new, settings, shadow_hook)
    router.new_docs = NewAppDocs.for_app(apps.new)
    legacy_ops = legacy_operations(apps.legacy)
    router.merged_docs = MergedDocs(table, legacy_ops, apps.new, None, provider.snapshot)
    return router


def build_router(
    raw: Mapping[str, Any],
    env: Mapping[str, str],
    overrides: Mapping[str, Any],
    flags: str | None = None,
    coverage: CoverageSource | None = None,
    apps: Apps | None = None,
) -> RouterApp:
    """What ``strangler serve`` runs: settings, the ``[flags]`` provider (``flags``
    overrides it), shadow with comparator and ledger, owner lookups, the traffic recorder
    (``[record_sample]``), the dashboard
    (``coverage`` feeds its parity column). ``apps`` as for ``build_app``. Raises
    ConfigError or PlanError."""
    from rollout.compare import load_rules
    from rollout.providers.factory import build_provider
    from rollout.providers.settings import flag_settings
    from rollout.recordings import RecordingStore
    from router_proxy.dashboard_mount import attach_dashboard
    from router_proxy.fallback import load_fallback
    from router_proxy.observability import attach_observability
    from router_proxy.recorder import attach_recorder
    from router_proxy.wiring import attach_rollout

    settings = load_settings(raw, env, overrides)
    rules = load_rules(raw)
    flag_config = flag_settings(raw, env, flags)
    provider = build_provider(flag_config, raw, settings.database_url or None)
    router = build_app(settings, provider, apps=apps)
    router.fallback = load_fallback(raw)
    attach_rollout(router, settings, rules, flag_config.refresh_interval)
    attach_recorder(router, raw)
    if settings.database_url and router.merged_docs is not None:
        store = RecordingStore(settings.database_url)
        router.merged_docs.store = store  # the merged OpenAPI reads the recorded shapes
        router.closers.append(lambda: asyncio.to_thread(store.close))
    attach_observability(router, raw, env, flags)
    attach_dashboard(router, raw, env, flags, coverage)
    return router


def build_backends(settings: Settings, legacy_app: Any, new_app: Any) -> tuple[Backend, Backend]:
    """With no new app named or given, legacy serves every route. Remote mode needs no app
    objects (the shadow worker passes None for both)."""
    remote = settings.mode == "remote"
    legacy: Backend = (
        RemoteBackend("legacy", settings.legacy_url, settings.legacy_health_path, settings)
        if remote
        else LegacyInProcess(legacy_app, settings)
    )
    new: Backend
    if not settings.new_app and new_app is None:
        new = AbsentBackend()
    elif remote:
        new = RemoteBackend("new", settings.new_url, settings.new_health_path, settings)
    else:
        new = NewInProcess(new_app)
    return legacy, new


def load_route_table(settings: Settings) -> RouteTable:
    return build_route_table(import_app(settings.legacy_app), import_new_app(settings))


def import_new_app(settings: Settings) -> Any:
    """The new app, or None when none is named (legacy then serves every route)."""
    return import_app(settings.new_app) if settings.new_app else None


def import_app(target: str) -> Any:
    """``package.module:attribute`` (``:factory()`` calls a factory without arguments)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"{target!r}: expected 'module:attribute'")
    call = attribute.endswith("()")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an app's own import-time failure is a config error here
        raise ConfigError(f"{target!r}: cannot import {module_name} ({exc})") from exc
    try:
        found = getattr(module, attribute.removesuffix("()"))
    except AttributeError:
        raise ConfigError(f"{target!r}: {module_name} has no attribute {attribute}") from None
    return found() if call else found

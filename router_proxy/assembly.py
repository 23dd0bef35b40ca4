"""The router's parts while they are put together: the ``Assembly`` the composition root
(``router_proxy.asgi``) and the ``attach_*`` functions fill in, and what it starts from
(the apps, the backends, the route table).

``build()`` freezes an assembly into one ``RouterApp``; nothing is assigned onto a router
after that. The order of ``Assembly.lifespan`` is the start order; shutdown runs it in
reverse, so a part added later (the guard) stops before what it reads (the windows).

Example:
    >>> from router_proxy.config import Settings
    >>> assembly = assemble(Settings(legacy_app="tests.router_proxy.apps.flask_app:app"))
    >>> len(assembly.lifespan)  # the flag provider, legacy, new
    3
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollout.flags.base import FlagProvider
from rollout.flags.static import StaticProvider
from rollout.types import Backend, Snapshot
from router_proxy.app import Composition, RouterApp
from router_proxy.backends.absent import AbsentBackend
from router_proxy.backends.base import Backend as BackendImpl
from router_proxy.backends.inprocess import LegacyInProcess, NewInProcess
from router_proxy.backends.remote import RemoteBackend
from router_proxy.config import Settings
from router_proxy.context import CallerReader
from router_proxy.dispatch import Dispatch, Dispatcher
from router_proxy.endpoints import OwnEndpoints, RouterView, SubApp
from router_proxy.errors import ConfigError
from router_proxy.fallback import FallbackRules
from router_proxy.fleet import FleetLink
from router_proxy.identity import IdentityResolver
from router_proxy.lifespan import Part, background, closing, in_thread, started
from router_proxy.merged_docs import MergedDocs
from router_proxy.metrics import sample_gauges
from router_proxy.new_docs import NewAppDocs
from router_proxy.openapi import legacy_operations
from router_proxy.routes import (
    RouteTable,
    build_route_table,
    flask_session_signing,
    flask_websocket_specs,
    has_url_map,
    starlette_websocket_specs,
)
from router_proxy.served import CountingSampler, ShadowHook
from router_proxy.stats import RouterStats
from router_proxy.tracing import request_tracer
from router_proxy.types import ASGIApp
from router_proxy.websockets import WebSocketRouter

if TYPE_CHECKING:
    from rollout.telemetry.windows import WindowStore
    from rollout.traffic.recordings import RecordingStore


log = logging.getLogger("router_proxy")


@dataclass(frozen=True, slots=True)
class Apps:
    """The two apps as objects, for a caller that holds them already (the middleware form,
    whose new app is the one it sits in). ``new`` None: legacy serves every route."""

    legacy: Any
    new: Any


class Assembly:
    """A router while it is put together. The composition root and the ``attach_*``
    functions fill it in; ``build()`` makes the router. Never kept after that."""

    def __init__(self, settings: Settings, apps: Apps, provider: FlagProvider) -> None:
        self.settings = settings
        self.apps = apps
        self.provider = provider
        self.table: RouteTable = build_route_table(apps.legacy, apps.new, settings.legacy_routes)
        if apps.legacy is not None and not has_url_map(apps.legacy) and not settings.legacy_routes:
            log.warning(
                "%s has no url_map (not a Flask app?): every request goes to legacy, and no "
                "flag applies until [apps] legacy_routes in strangler.toml names its routes",
                settings.legacy_app or "the legacy app",
            )
        legacy, new = build_backends(settings, apps.legacy, apps.new)
        self.backends: dict[Backend, BackendImpl] = {Backend.LEGACY: legacy, Backend.NEW: new}
        self.stats = RouterStats()
        # A Flask session is checked with the legacy app's own secret and cookie name.
        signing = flask_session_signing(apps.legacy) if apps.legacy is not None else None
        secret, cookie_name = signing or (settings.secret_key, settings.session_cookie)
        self.callers = CallerReader(settings.identity, secret, cookie_name)
        self.resolver = load_resolver(settings.identity.resolver)
        self.fallback = FallbackRules()
        self.shadow_hook: ShadowHook | None = None
        self.recorder: CountingSampler | None = None
        self.fleet: FleetLink | None = None
        self.windows: WindowStore | None = None
        self.dashboard: ASGIApp | None = None
        self.docs_store: RecordingStore | None = None  # the merged OpenAPI's recorded shapes
        self.lifespan: list[Part] = [
            in_thread(provider.start, provider.stop),  # one fetch or connect, off the loop
            started(legacy.startup, legacy.shutdown),
            started(new.startup, new.shutdown),
            *resolver_parts(self.resolver),
        ]

    def run(self, part: Part) -> None:
        """Start ``part`` after every part added before it; stop it before them."""
        self.lifespan.append(part)

    async def ready(self) -> dict[str, bool]:
        return {backend.value: await impl.ready() for backend, impl in self.backends.items()}

    def build(self) -> RouterApp:
        dispatch = Dispatch(
            table=self.table,
            provider=self.provider,
            backends=dict(self.backends),
            settings=self.settings,
            stats=self.stats,
            callers=self.callers,
            fallback=self.fallback,
            shadow_hook=self.shadow_hook,
            resolver=self.resolver,
            sampler=self.recorder,
            tracer=request_tracer(),
        )
        dispatcher = Dispatcher(dispatch)
        merged = MergedDocs(
            self.table,
            legacy_operations(self.apps.legacy),
            self.apps.new,
            self.docs_store,
            self.provider.snapshot,
        )
        docs: list[SubApp] = [merged]
        new_docs = NewAppDocs.for_app(self.apps.new)
        if new_docs is not None:
            docs.insert(0, new_docs)
        legacy = self.backends[Backend.LEGACY]
        view = RouterView(
            provider=self.provider,
            stats=self.stats,
            ready=self.ready,
            sample_gauges=lambda: sample_gauges(self.provider, legacy),
            fleet=self.fleet,
            recorder=self.recorder,
        )
        front = OwnEndpoints(dispatcher, view, docs, self.dashboard)
        composition = Composition(
            dispatch=dispatch,
            front=front,
            dispatcher=dispatcher,
            lifespan=tuple(self.lifespan),
            websockets=WebSocketRouter(
                RouteTable(
                    [
                        *flask_websocket_specs(self.apps.legacy),
                        *starlette_websocket_specs(self.apps.new),
                    ]
                ),
                dispatcher,
            ),
            fleet=self.fleet,
            recorder=self.recorder,
            merged_docs=merged,
        )
        return RouterApp(composition)


def assemble(
    settings: Settings, provider: FlagProvider | None = None, apps: Apps | None = None
) -> Assembly:
    """``apps``: the app objects; by default imported from the settings' import strings."""
    apps = apps or Apps(import_legacy_app(settings), import_new_app(settings))
    return Assembly(settings, apps, provider or StaticProvider(Snapshot()))


def build_backends(
    settings: Settings, legacy_app: Any, new_app: Any
) -> tuple[BackendImpl, BackendImpl]:
    """With no new app named or given, legacy serves every route. Remote mode needs no app
    objects (the shadow worker passes None for both)."""
    remote = settings.mode == "remote"
    legacy: BackendImpl = (
        RemoteBackend("legacy", settings.legacy_url, settings.legacy_health_path, settings)
        if remote
        else LegacyInProcess(legacy_app, settings)
    )
    new: BackendImpl
    if not settings.new_app and new_app is None:
        new = AbsentBackend()
    elif remote:
        new = RemoteBackend("new", settings.new_url, settings.new_health_path, settings)
    else:
        new = NewInProcess(new_app)
    return legacy, new


NO_LEGACY_APP = (
    "no legacy app named: --legacy-app MODULE:APP, STRANGLER_LEGACY_APP or [apps] legacy "
    "in strangler.toml"
)
REMOTE_NEEDS_ROUTES = (
    "remote mode needs the legacy routes: --legacy-app MODULE:APP (only its url_map is "
    "read) or [apps] legacy_routes in strangler.toml"
)


def import_legacy_app(settings: Settings) -> Any:
    """The legacy app; None in remote mode when strangler.toml lists its routes instead.
    Raises ConfigError saying in one line what is missing."""
    if settings.legacy_app:
        return _callable(settings.legacy_app, import_app(settings.legacy_app))
    if settings.mode == "remote" and settings.legacy_routes:
        return None
    raise ConfigError(REMOTE_NEEDS_ROUTES if settings.mode == "remote" else NO_LEGACY_APP)


def import_new_app(settings: Settings) -> Any:
    """The new app, or None when none is named (legacy then serves every route)."""
    return _callable(settings.new_app, import_app(settings.new_app)) if settings.new_app else None


def _callable(target: str, found: Any) -> Any:
    if not callable(found):
        raise ConfigError(f"{target!r} is not a WSGI or ASGI app (a {type(found).__name__})")
    return found


def load_resolver(target: str) -> IdentityResolver | None:
    """The project's identity resolver (``[identity] resolver``), made once; None if unnamed."""
    if not target:
        return None
    made = import_app(target if target.endswith("()") else target + "()")
    if not callable(getattr(made, "identify", None)):
        raise ConfigError(f"identity.resolver {target!r}: made {type(made).__name__}, "
                          "which has no identify(authorization, cookie)")  # fmt: skip
    resolver: IdentityResolver = made
    return resolver


def resolver_parts(resolver: IdentityResolver | None) -> list[Part]:
    """Its background task and its close, when it has them, in the router's lifespan."""
    if resolver is None:
        return []
    parts: list[Part] = []
    run = getattr(resolver, "run", None)
    close = getattr(resolver, "close", None)
    if callable(close):
        parts.append(closing(lambda: asyncio.to_thread(close)))
    if callable(run):
        parts.append(background(run))
    return parts


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
    return _called(target, found) if call else found


def _called(target: str, factory: Any) -> Any:
    name = target.removesuffix("()")
    try:
        return factory()
    except Exception as exc:  # the factory's own failure, or an app that is no factory
        # An app object called as if it were a factory: say how to name the app instead.
        hint = "" if inspect.isfunction(factory) else f"; to serve it as it is: {name!r}"
        said = (str(exc).splitlines() or [""])[0]
        raised = f"{type(exc).__name__}: {said}"
        raise ConfigError(f"{target!r}: calling it raised {raised}{hint}") from exc

"""The router's own endpoints under ``/_strangler/``, as a small ASGI app in front of the
dispatcher: a request under that prefix (below any ``root_path``) is answered here, any
other goes on to ``app``.

- ``healthz``: 200 while the process serves; says where the flags come from (A9: a flag
  outage degrades the flags, not the router, so it stays 200);
- ``readyz``: 200 when both backends are ready, else 503; flag health included;
- ``status``: per route, the flag (mode, percent, shadow sample) and the counters
  (requests per backend, comparisons, mismatches, shadow drops) summed over every router
  process (``"counters": "fleet"``; this process's own when no fleet store is set up or
  it fails: ``"process"`` with ``fleet_error``), as JSON for ``strangler status``; with
  the traffic recorder on, this process's samples ``stored``, ``dropped``, ``limited``;
  ``?per_process=1`` adds each process's own;
- ``metrics``: Prometheus exposition (``router_proxy.metrics``);
- the docs apps (``new/docs``..., ``openapi.json``, ``docs``) for the paths they serve;
- anything else: the dashboard (``rollout.dashboard``) when one is mounted.

Those four answer GET and HEAD; another method gets 405 with ``Allow``. A path nobody
here serves gets 404. Both in the router's JSON error shape, like every answer the
router gives itself. It is given narrow collaborators (``RouterView``), never the router.

Example:
    >>> route_rows({}, {})
    []
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs

from rollout.errors import WindowError
from rollout.flags.base import FlagProvider
from rollout.telemetry.counts import ProcessCounts, summed
from rollout.types import RouteFlag, Snapshot
from router_proxy.errors import error_body, render_json, send_json
from router_proxy.fleet import FleetLink
from router_proxy.served import CountingSampler
from router_proxy.stats import RouteCounters, RouterStats
from router_proxy.types import ASGIApp, Receive, Scope, Send

PREFIX = "/_strangler/"
SERVED_BY = (b"x-served-by", b"router")
READ_METHODS = ("GET", "HEAD")


class SubApp(Protocol):
    """A docs app: serves some paths under ``/_strangler/``."""

    def serves(self, path: str) -> bool: ...

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...


@dataclass(frozen=True, slots=True)
class RouterView:
    """What the endpoints read of the router: nothing they could change it through."""

    provider: FlagProvider
    stats: RouterStats
    ready: Callable[[], Awaitable[dict[str, bool]]]
    sample_gauges: Callable[[], None]
    fleet: FleetLink | None = None
    recorder: CountingSampler | None = None


def flag_health(provider: FlagProvider) -> dict[str, str]:
    try:
        return dict(provider.health())
    except Exception as exc:  # a provider's health must not take the health check down
        return {"state": "unknown", "detail": type(exc).__name__}


def app_path(scope: Scope) -> str:
    """The path below the ``root_path`` the server was given (uvicorn includes it)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] or "/" if root and path.startswith(root) else path


class OwnEndpoints:
    def __init__(
        self,
        app: ASGIApp,
        view: RouterView,
        docs: Sequence[SubApp] = (),
        dashboard: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self.view = view
        self.docs = tuple(docs)
        self.dashboard = dashboard
        self.handlers: dict[str, Callable[[Scope, Send], Awaitable[None]]] = {
            "/_strangler/healthz": self._health,
            "/_strangler/readyz": self._ready,
            "/_strangler/status": self._status,
            "/_strangler/metrics": self._metrics,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = app_path(scope)
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        # Below here every app sees the path without the root_path (Starlette, the docs).
        child = {**scope, "path": path}
        handler = self.handlers.get(path)
        if handler is not None:
            await self._answer(handler, child, send)
            return
        for docs in self.docs:
            if docs.serves(path):
                await docs(child, receive, send)
                return
        if self.dashboard is not None:
            await self.dashboard(child, receive, send)
        else:
            await send_not_found(send)

    async def _answer(
        self, handler: Callable[[Scope, Send], Awaitable[None]], scope: Scope, send: Send
    ) -> None:
        if scope["method"] not in READ_METHODS:
            await send_not_allowed(send, READ_METHODS)
        else:
            await handler(scope, send)

    async def _health(self, scope: Scope, send: Send) -> None:
        payload = {"flags": flag_health(self.view.provider), "status": "ok"}
        await send_json(send, 200, render_json(payload), [SERVED_BY])

    async def _ready(self, scope: Scope, send: Send) -> None:
        ready = await self.view.ready()
        status = 200 if all(ready.values()) else 503
        payload = {
            "backends": ready,
            "flags": flag_health(self.view.provider),
            "status": "ready" if status == 200 else "unavailable",
        }
        await send_json(send, status, render_json(payload), [SERVED_BY])

    async def _status(self, scope: Scope, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        per_process = query.get("per_process", [""])[0] not in ("", "0", "false")
        payload = await status_payload(self.view, per_process)
        await send_json(send, 200, render_json(payload), [SERVED_BY])

    async def _metrics(self, scope: Scope, send: Send) -> None:
        from router_proxy.metrics import render

        self.view.sample_gauges()
        body, content_type = render()
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            SERVED_BY,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_not_found(send: Send) -> None:
    await send_json(send, 404, error_body("not_found", "Resource not found."), [SERVED_BY])


async def send_not_allowed(send: Send, allowed: Sequence[str]) -> None:
    body = error_body("method_not_allowed", "Method not allowed.")
    allow = (b"allow", ", ".join(allowed).encode())
    await send_json(send, 405, body, [allow, SERVED_BY])


async def status_payload(view: RouterView, per_process: bool = False) -> dict[str, Any]:
    snapshot: Snapshot = view.provider.snapshot()
    flags = flag_health(view.provider)
    payload: dict[str, Any] = {"kill_switch": snapshot.kill_switch, "flags": flags}
    counters: Mapping[str, RouteCounters] = view.stats.routes
    payload["counters"] = "process"
    if view.fleet is not None:
        payload["process_id"] = view.fleet.process_id
        try:
            if per_process:
                processes = await view.fleet.per_process()
                payload["processes"] = [_process_row(p) for p in processes]
                totals = summed(processes)
            else:
                totals = await view.fleet.totals()
        except WindowError as exc:
            payload["fleet_error"] = str(exc)
        else:
            counters = {key: RouteCounters.from_flat(named) for key, named in totals.items()}
            payload["counters"] = "fleet"
    payload["routes"] = route_rows(snapshot.routes, counters)
    recorder = view.recorder
    if recorder is not None:  # this process's own: samples stored, and lost (full, failed)
        counts = {"stored": recorder.stored, "dropped": recorder.dropped}
        payload["recorder"] = {**counts, "limited": recorder.limited}
    return payload


def _process_row(process: ProcessCounts) -> dict[str, Any]:
    seen = process.seen_at.isoformat() if process.seen_at is not None else None
    routes = {
        key: RouteCounters.from_flat(named).as_json() for key, named in process.routes.items()
    }
    return {"process_id": process.process_id, "seen_at": seen, "routes": routes}


def route_rows(
    flags: Mapping[str, RouteFlag], counters: Mapping[str, RouteCounters]
) -> list[dict[str, Any]]:
    """One row per route that has a flag or saw traffic, sorted by route key."""
    rows = []
    for key in sorted(flags.keys() | counters.keys()):
        flag = flags.get(key, RouteFlag())
        row: dict[str, Any] = {
            "route": key,
            "mode": flag.mode.value,
            "percent": flag.percent,
            "shadow_sample": flag.shadow_sample,
        }
        row.update((counters.get(key) or RouteCounters()).as_json())
        rows.append(row)
    return rows

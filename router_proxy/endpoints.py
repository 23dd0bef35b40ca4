"""The router's own endpoints under ``/_strangler/``: liveness, readiness, and status.

- ``healthz``: 200 while the process serves; says where the flags come from (A9: a flag
  outage degrades the flags, not the router, so it stays 200);
- ``readyz``: 200 when both backends are ready, else 503; flag health included;
- ``status``: per route, the flag (mode, percent, shadow sample) and this process's
  counters (requests per backend, comparisons, mismatches, shadow drops), as JSON for
  ``strangler status``;
- ``new/docs``, ``new/redoc``, ``new/openapi.json``: the new app's generated docs
  (``router_proxy.new_docs``), moved off the paths legacy owns;
- anything else: the dashboard (``rollout.dashboard``) when one is mounted, else 404.

Example:
    >>> route_rows({}, {})
    []
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rollout.types import RouteFlag, Snapshot
from router_proxy.errors import error_body, render_json, send_json
from router_proxy.stats import RouteCounters
from router_proxy.types import Receive, Scope, Send

if TYPE_CHECKING:
    from router_proxy.dispatch import RouterApp

SERVED_BY = (b"x-served-by", b"router")


async def own_endpoint(router: RouterApp, scope: Scope, receive: Receive, send: Send) -> None:
    path = scope["path"]
    if path == "/_strangler/healthz":
        await send_json(send, 200, render_json(_health(router)), [SERVED_BY])
    elif path == "/_strangler/readyz":
        ready = await router.ready()
        status = 200 if all(ready.values()) else 503
        payload = {
            "backends": ready,
            "flags": flag_health(router),
            "status": "ready" if status == 200 else "unavailable",
        }
        await send_json(send, status, render_json(payload), [SERVED_BY])
    elif path == "/_strangler/status":
        await send_json(send, 200, render_json(status_payload(router)), [SERVED_BY])
    elif path == "/_strangler/metrics":
        from router_proxy.metrics import send_metrics

        await send_metrics(router, send)
    elif router.new_docs is not None and router.new_docs.serves(path):
        await router.new_docs(scope, receive, send)
    elif router.dashboard is not None:
        await router.dashboard(scope, receive, send)
    else:
        body = error_body("not_found", "Resource not found.")
        await send_json(send, 404, body, [SERVED_BY])


def flag_health(router: RouterApp) -> dict[str, str]:
    try:
        return dict(router.provider.health())
    except Exception as exc:  # a provider's health must not take the health check down
        return {"state": "unknown", "detail": type(exc).__name__}


def _health(router: RouterApp) -> dict[str, Any]:
    return {"flags": flag_health(router), "status": "ok"}


def status_payload(router: RouterApp) -> dict[str, Any]:
    snapshot: Snapshot = router.provider.snapshot()
    return {
        "kill_switch": snapshot.kill_switch,
        "flags": flag_health(router),
        "routes": route_rows(snapshot.routes, router.stats.routes),
    }


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

"""The router's own endpoints under ``/_strangler/``: liveness, readiness, and status.

- ``healthz``: 200 while the process serves; says where the flags come from (A9: a flag
  outage degrades the flags, not the router, so it stays 200);
- ``readyz``: 200 when both backends are ready, else 503; flag health included;
- ``status``: per route, the flag (mode, percent, shadow sample) and the counters
  (requests per backend, comparisons, mismatches, shadow drops) summed over every router
  process (``"counters": "fleet"``; this process's own when no fleet store is set up or
  it fails: ``"process"`` with ``fleet_error``), as JSON for ``strangler status``; with
  the traffic recorder on, this process's samples ``stored``, ``dropped``, ``limited``;
  ``?per_process=1`` adds each process's own;
- ``new/docs``, ``new/redoc``, ``new/openapi.json``: the new app's generated docs
  (``router_proxy.new_docs``), moved off the paths legacy owns;
- ``openapi.json``, ``docs``: one OpenAPI for both apps, owners tagged
  (``router_proxy.merged_docs``);
- anything else: the dashboard (``rollout.dashboard``) when one is mounted, else 404.

Example:
    >>> route_rows({}, {})
    []
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from rollout.errors import FleetError
from rollout.fleet import ProcessCounts, summed
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
        per_process = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(
            "per_process", [""]
        )[0] not in ("", "0", "false")
        payload = await status_payload(router, per_process)
        await send_json(send, 200, render_json(payload), [SERVED_BY])
    elif path == "/_strangler/metrics":
        from router_proxy.metrics import send_metrics

        await send_metrics(router, send)
    elif router.new_docs is not None and router.new_docs.serves(path):
        await router.new_docs(scope, receive, send)
    elif router.merged_docs is not None and router.merged_docs.serves(path):
        await router.merged_docs(scope, receive, send)
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


async def status_payload(router: RouterApp, per_process: bool = False) -> dict[str, Any]:
    snapshot: Snapshot = router.provider.snapshot()
    payload: dict[str, Any] = {"kill_switch": snapshot.kill_switch, "flags": flag_health(router)}
    counters: Mapping[str, RouteCounters] = router.stats.routes
    payload["counters"] = "process"
    if router.fleet is not None:
        payload["process_id"] = router.fleet.process_id
        try:
            if per_process:
                processes = await router.fleet.per_process()
                payload["processes"] = [_process_row(p) for p in processes]
                totals = summed(processes)
            else:
                totals = await router.fleet.totals()
        except FleetError as exc:
            payload["fleet_error"] = str(exc)
        else:
            counters = {key: RouteCounters.from_flat(named) for key, named in totals.items()}
            payload["counters"] = "fleet"
    payload["routes"] = route_rows(snapshot.routes, counters)
    recorder = router.traffic_recorder
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

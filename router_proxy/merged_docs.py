"""The merged OpenAPI (``router_proxy.openapi``) served by the router, with its pages:

- ``/_strangler/openapi.json``: the document, built per request from the route table, the
  flags as they are now and the traffic recorder's rows (read in a thread);
- ``/_strangler/docs``: Swagger UI, its script and styles served from the
  ``fastapi-offline`` package under ``/_strangler/docs/static/``: no CDN, so the page
  works on a machine with no internet. (No ReDoc page: its bundle fetches its own badge
  from Redocly's CDN.)

Example:
    >>> docs = MergedDocs([], {}, None, None, Snapshot)
    >>> docs.serves("/_strangler/openapi.json"), docs.serves("/_strangler/status")
    (True, False)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from importlib.resources import files
from typing import Any

from rollout.errors import RecordingError
from rollout.traffic.recordings import ExchangeRow, RecordingStore, RouteShape, route_shape
from rollout.types import RouteInfo, Snapshot
from router_proxy.logs import access_log
from router_proxy.openapi import LegacyOperation, merged_openapi
from router_proxy.types import Receive, Scope, Send

OPENAPI_PATH = "/_strangler/openapi.json"
DOCS_PATH = "/_strangler/docs"
STATIC_PREFIX = "/_strangler/docs/static"


class MergedDocs:
    def __init__(
        self,
        routes: Iterable[RouteInfo],
        legacy: Mapping[str, LegacyOperation],
        new_app: Any,
        store: RecordingStore | None,
        snapshot: Callable[[], Snapshot],
        title: str = "legacy + new",
    ) -> None:
        self.routes = list(routes)
        self.legacy = legacy
        self.new_app = new_app
        self.store = store  # the recorder's rows; None: the url_map's description only
        self.snapshot = snapshot  # the flags now (the provider's, never blocking)
        self.title = title
        self._static: Any = None

    def serves(self, path: str) -> bool:
        pages = (OPENAPI_PATH, DOCS_PATH)
        return path in pages or path.startswith(STATIC_PREFIX + "/")

    def document(self) -> dict[str, Any]:
        """Blocking: reads the recorded rows."""
        openapi = getattr(self.new_app, "openapi", None)
        new_document = openapi() if callable(openapi) else None
        return merged_openapi(
            self.routes, self.legacy, new_document, self.snapshot(), self.shapes(), self.title
        )

    def shapes(self) -> dict[str, RouteShape]:
        """Recorded shapes per route key; none when the store is absent or failing (the
        document then says what the url_map says)."""
        if self.store is None:
            return {}
        try:
            rows = self.store.rows(bodies=False)
        except RecordingError as exc:
            access_log.warning("recordings_unreadable", error=str(exc))
            return {}
        return shapes_of(rows)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.responses import JSONResponse

        path = scope["path"]
        root = scope.get("root_path", "")
        if path == OPENAPI_PATH:
            document = await asyncio.to_thread(self.document)
            response: Any = JSONResponse(document)
        elif path == DOCS_PATH:
            response = _swagger(root)
        else:
            static_scope = {**scope, "root_path": root + STATIC_PREFIX}
            await self._static_files()(static_scope, receive, send)
            return
        await response(scope, receive, send)

    def _static_files(self) -> Any:
        if self._static is None:
            from starlette.staticfiles import StaticFiles

            self._static = StaticFiles(directory=str(files("fastapi_offline") / "static"))
        return self._static


def shapes_of(rows: Iterable[ExchangeRow]) -> dict[str, RouteShape]:
    by_route: dict[str, list[ExchangeRow]] = defaultdict(list)
    for row in rows:
        by_route[row.route_key].append(row)
    return {key: route_shape(key, found) for key, found in by_route.items()}


def _swagger(root: str) -> Any:
    from fastapi.openapi.docs import get_swagger_ui_html

    static = root + STATIC_PREFIX
    return get_swagger_ui_html(
        openapi_url=root + OPENAPI_PATH,
        title="Strangler: legacy + new",
        swagger_js_url=f"{static}/swagger-ui-bundle.js",
        swagger_css_url=f"{static}/swagger-ui.css",
        swagger_favicon_url=f"{static}/favicon.png",
    )


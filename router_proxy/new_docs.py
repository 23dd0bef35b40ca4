"""The new app's generated documentation, moved under ``/_strangler/new/``.

FastAPI serves ``/docs``, ``/redoc`` and ``/openapi.json`` by itself. Behind the router
those paths belong to legacy (the route table leaves them out, see
``routes.starlette_specs``): a legacy app that 404s ``/docs`` must still 404 it. The
router serves the same pages here instead, built from the new app object it imported,
so they work in-process and remote alike:

- ``/_strangler/new/openapi.json``: the new app's OpenAPI document;
- ``/_strangler/new/docs`` (Swagger UI) and ``/_strangler/new/redoc``, pointing at it.

Example:
    >>> from fastapi import FastAPI
    >>> docs = NewAppDocs.for_app(FastAPI(redoc_url=None))
    >>> sorted(docs.pages)  # doctest: +NORMALIZE_WHITESPACE
    ['/_strangler/new/docs', '/_strangler/new/docs/oauth2-redirect',
     '/_strangler/new/openapi.json']
"""

from __future__ import annotations

from typing import Any

from router_proxy.routes import generated_docs_paths
from router_proxy.types import Receive, Scope, Send

PREFIX = "/_strangler/new"


class NewAppDocs:
    """An ASGI app for the pages under ``PREFIX`` that the new app has switched on."""

    def __init__(self, app: Any, paths: dict[str, str]) -> None:
        self.app = app
        self.paths = paths
        self.pages = {PREFIX + path: name for name, path in paths.items()}

    @classmethod
    def for_app(cls, app: Any) -> NewAppDocs | None:
        """None for no app, or one without an OpenAPI document."""
        paths = generated_docs_paths(app)
        return cls(app, paths) if "openapi_url" in paths else None

    def serves(self, path: str) -> bool:
        return path in self.pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self._page(self.pages[scope["path"]], scope.get("root_path", "") + PREFIX)
        await response(scope, receive, send)

    def _page(self, name: str, root: str) -> Any:
        from fastapi.openapi import docs
        from starlette.responses import JSONResponse

        spec_url = root + self.paths["openapi_url"]
        title = getattr(self.app, "title", "new app")
        if name == "openapi_url":
            return JSONResponse(self.app.openapi())
        if name == "docs_url":
            redirect = self.paths.get("swagger_ui_oauth2_redirect_url")
            return docs.get_swagger_ui_html(
                openapi_url=spec_url,
                title=f"{title} - Swagger UI",
                oauth2_redirect_url=root + redirect if redirect else None,
            )
        if name == "redoc_url":
            return docs.get_redoc_html(openapi_url=spec_url, title=f"{title} - ReDoc")
        return docs.get_swagger_ui_oauth2_redirect_html()

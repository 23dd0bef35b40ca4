"""The dashboard as a Starlette app, served under ``/_strangler/`` by the router.

Example:
    app = build_dashboard(dashboard_settings(raw_toml, os.environ), sources)
    # the router hands it every /_strangler/... request it does not answer itself
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from rollout.dashboard import actions, pages
from rollout.dashboard.context import DashboardContext
from rollout.dashboard.settings import DashboardSettings
from rollout.dashboard.sources import DashboardSources

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
        b" connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


def build_dashboard(
    settings: DashboardSettings,
    sources: DashboardSources,
    exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
) -> ASGIApp:
    """``exception_handlers``: Starlette's, by status or exception class (the router
    renders 404 and 405 in its own error shape)."""
    routes = [
        Route("/_strangler/", pages.overview),
        Route("/_strangler/routes/{flag_name}", pages.route_page),
        Route("/_strangler/audit", pages.audit_page),
        Route("/_strangler/login", actions.login_form, methods=["GET"]),
        Route("/_strangler/login", actions.login, methods=["POST"]),
        Route("/_strangler/logout", actions.logout, methods=["POST"]),
        Route("/_strangler/flags", actions.set_flag, methods=["POST"]),
        Route("/_strangler/kill-switch", actions.kill_switch, methods=["POST"]),
        Route("/_strangler/rollout", actions.rollout_step, methods=["POST"]),
        Mount("/_strangler/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers=dict(exception_handlers or {}))
    app.state.dashboard = DashboardContext(settings, sources)
    return SecurityHeaders(app)


class SecurityHeaders:
    """Adds the headers every dashboard answer carries (CSP: scripts and styles from our
    own static files only, so an injected ``<script>`` in a diff would not run either)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

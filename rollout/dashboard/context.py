"""What every dashboard handler shares: settings, sources, sessions, templates, and the
two answers it gives before any work: 401 (who are you?) and 403 (no CSRF token).

Example:
    >>> DashboardContext.__name__
    'DashboardContext'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rollout.dashboard.auth import (
    COOKIE_NAME,
    COOKIE_PATH,
    CSRF_FIELD,
    CSRF_HEADER,
    Authenticator,
    Principal,
    Session,
    SessionCodec,
    csrf_ok,
    new_session,
)
from rollout.dashboard.settings import DashboardSettings
from rollout.dashboard.sources import DashboardSources

TEMPLATES = Path(__file__).parent / "templates"
MAX_FORM_BYTES = 16 * 1024


class DashboardContext:
    def __init__(self, settings: DashboardSettings, sources: DashboardSources) -> None:
        self.settings = settings
        self.sources = sources
        self.sessions = SessionCodec(settings)
        self.auth = Authenticator(settings)
        # autoescape everywhere: mismatch diffs and audit reasons carry user data.
        self.jinja = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
        self.jinja.filters["ms"] = _ms
        self.jinja.filters["pct"] = _pct

    def session(self, request: Request) -> Session | None:
        return self.sessions.decode(request.cookies.get(COOKIE_NAME))

    def principal(self, request: Request) -> Principal | None:
        return self.auth.principal(request.headers.get("authorization"), self.session(request))

    def render(
        self,
        request: Request,
        template: str,
        values: Mapping[str, Any],
        status: int = 200,
        session: Session | None = None,
    ) -> HTMLResponse:
        """``session``: (re)issue this session cookie with the page."""
        current = session or self.session(request)
        html = self.jinja.get_template(template).render(
            request_path=request.url.path,
            csrf_token=current.csrf if current else "",
            csrf_field=CSRF_FIELD,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        if session is not None:
            self.set_cookie(request, response, session)
        return response

    def set_cookie(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE_NAME,
            self.sessions.encode(session),
            max_age=self.settings.session_seconds,
            path=COOKIE_PATH,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )

    def unauthorized(self, request: Request, message: str = "") -> HTMLResponse:
        session = self.session(request) or new_session(None)
        response = self.render(
            request,
            "login.html",
            {"message": message or self._login_hint(), "can_log_in": self._can_log_in()},
            status=401,
            session=session,
        )
        response.headers["www-authenticate"] = 'Bearer realm="strangler dashboard"'
        return response

    def forbidden(self, request: Request) -> HTMLResponse:
        return self.render(request, "error.html", {"message": "Missing or wrong CSRF token."}, 403)

    async def form(self, request: Request) -> dict[str, str]:
        """The urlencoded body (first value of each field); oversized bodies read as empty."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return {}
        fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}

    def csrf_valid(self, request: Request, form: Mapping[str, str]) -> bool:
        submitted = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        return csrf_ok(self.session(request), submitted)

    def _can_log_in(self) -> bool:
        return self.settings.anyone_can_log_in

    def _login_hint(self) -> str:
        if self._can_log_in():
            return "Log in to see the migration dashboard."
        return "Nobody can log in: set STRANGLER_DASHBOARD_TOKEN or [dashboard.users]."


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"

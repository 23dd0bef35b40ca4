"""The dashboard's state-changing requests (POST): log in, log out, set a route's mode and
percentage, flip the kill switch, move a route along its rollout steps.

Order of checks, before any work: who is asking (401), then the CSRF token bound to their
session (403; a bearer token has no session, so it cannot change anything), then the
form's values (400). A change answers 303 back to the page it came from.

Example:
    POST /_strangler/flags  route_key=GET /api/v1/me&mode=canary&percent=5&csrf_token=...
    POST /_strangler/rollout  route_key=GET /api/v1/me&action=advance&csrf_token=...
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rollout.dashboard.auth import COOKIE_NAME, COOKIE_PATH, Principal, new_session
from rollout.dashboard.changes import Actor
from rollout.dashboard.context import DashboardContext
from rollout.dashboard.errors import ChangeRejected, NoRolloutPlan
from rollout.dashboard.sources import DashboardSources
from rollout.errors import AuditError, GuardError, ProviderError

log = logging.getLogger(__name__)
HOME = "/_strangler/"
T = TypeVar("T")


async def login_form(request: Request) -> Response:
    ctx: DashboardContext = request.app.state.dashboard
    if ctx.principal(request) is not None:
        return RedirectResponse(HOME, status_code=303)
    session = ctx.session(request) or new_session(None)
    values = {"message": "", "can_log_in": ctx.settings.anyone_can_log_in}
    return ctx.render(request, "login.html", values, session=session)


async def login(request: Request) -> Response:
    ctx: DashboardContext = request.app.state.dashboard
    form = await ctx.form(request)
    if not ctx.csrf_valid(request, form):
        return ctx.forbidden(request)
    name = await asyncio.to_thread(
        ctx.auth.check_login, form.get("username", ""), form.get("password", "")
    )
    if name is None:
        log.info("dashboard login refused")
        return ctx.unauthorized(request, "Wrong user name or password.")
    response = RedirectResponse(_next(form.get("next")), status_code=303)
    ctx.set_cookie(request, response, new_session(name))  # a fresh CSRF token after login
    return response


async def logout(request: Request) -> Response:
    ctx: DashboardContext = request.app.state.dashboard
    form = await ctx.form(request)
    if ctx.principal(request) is None:
        return ctx.unauthorized(request)
    if not ctx.csrf_valid(request, form):
        return ctx.forbidden(request)
    response = RedirectResponse(f"{HOME}login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)
    return response


async def set_flag(request: Request) -> Response:
    return await _change(
        request,
        lambda sources: sources.changes,
        lambda changes, actor, form: changes.set_route(
            actor,
            form.get("route_key", ""),
            form.get("mode", ""),
            form.get("percent"),
            _reason(form),
            form.get("shadow_sample"),
        ),
    )


async def kill_switch(request: Request) -> Response:
    return await _change(
        request,
        lambda sources: sources.changes,
        lambda changes, actor, form: changes.set_kill_switch(
            actor, form["enabled"] == "on", _reason(form)
        ),
        invalid=lambda form: (
            None if form.get("enabled") in ("on", "off") else "enabled must be on or off"
        ),
    )


async def rollout_step(request: Request) -> Response:
    return await _change(
        request,
        lambda sources: sources.rollouts,
        lambda rollouts, actor, form: rollouts.act(
            actor, form.get("action", ""), form.get("route_key", ""), _reason(form)
        ),
    )


async def _change(
    request: Request,
    target: Callable[[DashboardSources], T | None],
    change: Callable[[T, Actor, dict[str, str]], object],
    invalid: Callable[[dict[str, str]], str | None] = lambda form: None,
) -> Response:
    """Every state-changing POST: 401, 403, 409 (nothing to change it with), 400, then
    ``change`` on ``target``."""
    ctx: DashboardContext = request.app.state.dashboard
    checked = await _checked(ctx, request)
    if isinstance(checked, Response):
        return checked
    principal, form = checked
    writer = target(ctx.sources)
    if writer is None:
        return _error(ctx, request, ctx.sources.read_only_reason, 409)
    problem = invalid(form)
    if problem is not None:
        return _error(ctx, request, problem, 400)
    actor = _actor(principal, request)
    return await _apply(ctx, request, form, lambda: change(writer, actor, form))


async def _apply(
    ctx: DashboardContext, request: Request, form: dict[str, str], change: Callable[[], object]
) -> Response:
    """Run one change off the loop; every refusal becomes a page, success goes back."""
    try:
        await asyncio.to_thread(change)
    except NoRolloutPlan as exc:
        return _error(ctx, request, str(exc), 404)
    except ChangeRejected as exc:
        return _error(ctx, request, str(exc), 400)
    except GuardError as exc:  # e.g. already at the last step, nothing to pause
        return _error(ctx, request, f"The rollout did not move: {exc}", 409)
    except (ProviderError, AuditError) as exc:
        return _error(ctx, request, f"The change did not go through cleanly: {exc}", 502)
    return RedirectResponse(_next(form.get("next")), status_code=303)


def _reason(form: dict[str, str]) -> str:
    return form.get("reason", "").strip()[:500]


async def _checked(
    ctx: DashboardContext, request: Request
) -> Response | tuple[Principal, dict[str, str]]:
    principal = ctx.principal(request)
    if principal is None:
        return ctx.unauthorized(request)
    form = await ctx.form(request)
    if principal.session is None or not ctx.csrf_valid(request, form):
        return ctx.forbidden(request)
    return principal, form


def _actor(principal: Principal, request: Request) -> Actor:
    client = request.client.host if request.client else "unknown"
    return Actor(principal.name, f"dashboard {client}")


def _error(ctx: DashboardContext, request: Request, message: str, status: int) -> Response:
    return ctx.render(request, "error.html", {"message": message}, status)


def _next(target: str | None) -> str:
    # Only back into the dashboard: never an open redirect ("//evil", "/_strangler/../x").
    if target and target.startswith(HOME) and "//" not in target and ".." not in target:
        return target
    return HOME

"""Login, logout, who-am-I and the health probes (outside ``/api/v1`` except ``/me``).

Example:
    >>> sorted(route.path for route in router.routes)
    ['/api/v1/me', '/healthz', '/login', '/logout', '/readyz']
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from fastapi_app.bodies import LOGIN
from fastapi_app.errors import Unauthenticated
from fastapi_app.openapi_docs import Me, error_responses, json_body
from fastapi_app.passwords import check_password
from fastapi_app.request_body import read_capped_body
from fastapi_app.routes.reads import caller
from fastapi_app.services import services_of
from fastapi_app.session_cookie import CLEARED_COOKIE
from fastapi_app.validation import validate_body
from fastapi_app.wire import json_response

router = APIRouter(tags=["operational"])
SELECT_USER = "SELECT password_hash, owner FROM users WHERE username = $1"


class LoggedOut(BaseModel):
    logged_out: bool


class Health(BaseModel):
    status: str


@router.post(
    "/login",
    response_model=Me,
    responses=error_responses(400, 401, 413),
    openapi_extra=json_body(LOGIN),
)
async def login(request: Request) -> Response:
    services = services_of(request)
    body = validate_body(LOGIN, await read_capped_body(request))
    user = await services.database.fetchrow(SELECT_USER, body["username"])
    if user is None or not await _password_matches(user["password_hash"], body["password"]):
        raise Unauthenticated()
    cookie = services.cookies.set_cookie_header({"owner": user["owner"]})
    headers = {"Vary": "Cookie", "Set-Cookie": cookie}
    return json_response({"owner": user["owner"], "auth": "session"}, headers=headers)


async def _password_matches(stored: str, given: str) -> bool:
    # key stretching takes milliseconds of CPU: keep it off the event loop
    return await asyncio.to_thread(check_password, stored, given)


@router.post("/logout", response_model=LoggedOut, responses=error_responses(413))
async def logout(request: Request) -> Response:
    await read_capped_body(request)  # the body is ignored, but the 1 MiB limit holds
    headers = {"Vary": "Cookie", "Set-Cookie": CLEARED_COOKIE}
    return json_response({"logged_out": True}, headers=headers)


@router.get("/api/v1/me", response_model=Me, responses=error_responses(401))
async def me(request: Request) -> Response:
    _, principal = await caller(request)
    return json_response(principal.as_json())


@router.get("/healthz", response_model=Health)
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> Response:
    if await services_of(request).database.is_ready():
        return json_response({"status": "ready"})
    return json_response({"status": "unavailable"}, 503)

"""The port's composition root: ``create_app(settings)`` and the ASGI ``app`` uvicorn serves.

The lifespan owns the asyncpg pool and the Redis client (one of each per worker) and keeps
the garbage collector off the request path while it serves; nothing connects at import.
``app`` is created on first access, so importing this module (for ``create_app``) never
needs the environment, while ``uvicorn fastapi_app.main:app`` with a bad environment
prints one line naming the variable and exits 2.

Example:
    uvicorn fastapi_app.main:app --workers 2
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fastapi_app import gc_tuning
from fastapi_app.errors import ApiError, InternalError, InvalidRequest, NotFound
from fastapi_app.logs import configure_logging
from fastapi_app.middleware.errors import LastResort
from fastapi_app.middleware.methods import FlaskMethodSemantics
from fastapi_app.middleware.vary import SessionVary
from fastapi_app.openapi_spec import truthful_openapi
from fastapi_app.routes import accounts, operational, payments, transfers
from fastapi_app.services import Services
from fastapi_app.settings import Settings, load_settings_or_exit
from fastapi_app.wire import error_response


def create_app(settings: Settings | None = None) -> FastAPI:
    resolved = settings or load_settings_or_exit()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await Services.start(resolved)
        app.state.services = services
        try:
            with gc_tuning.tuned():
                yield
        finally:
            await services.stop()

    app = FastAPI(
        title="Payments API (FastAPI port)",
        version="1.0.0",
        redirect_slashes=False,
        lifespan=lifespan,
    )
    routers = [module.router for module in (accounts, payments, transfers, operational)]
    for router in routers:
        app.include_router(router)
    _add_error_handlers(app)
    app.add_middleware(FlaskMethodSemantics, routes=_leaf_routes(app, routers))
    app.add_middleware(SessionVary)
    app.add_middleware(LastResort)
    app.openapi = lambda: truthful_openapi(app)  # type: ignore[method-assign]
    return app


def _leaf_routes(app: FastAPI, routers: list[APIRouter]) -> Callable[[], list[BaseRoute]]:
    """Every endpoint route: the API's own plus the app's (OpenAPI document and docs)."""

    def routes() -> list[BaseRoute]:
        own = [route for router in routers for route in router.routes]
        return own + [route for route in app.router.routes if isinstance(route, Route)]

    return routes


def _add_error_handlers(app: FastAPI) -> None:
    async def api_error(_: Request, exc: Exception) -> Response:
        return error_response(exc if isinstance(exc, ApiError) else InternalError())

    async def http_error(_: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return error_response(NotFound() if status == 404 else InternalError())

    async def validation_error(_: Request, exc: Exception) -> Response:
        # FastAPI validates nothing of ours; should it ever, the contract's 400 still holds
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        fields = {str(error["loc"][-1]): "invalid value" for error in errors if error["loc"]}
        return error_response(InvalidRequest(fields or {"body": "must be a JSON object"}))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def __getattr__(name: str) -> Any:
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


app: FastAPI

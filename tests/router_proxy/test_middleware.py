"""StranglerMiddleware: the router inside a FastAPI app that already serves the public
address. The app's own routes are new, the Flask app's legacy; the same RouterApp routes,
shadows (a mismatch lands in the real ledger) and canaries, driven through
``httpx.ASGITransport`` with the app's lifespan run as a server would run it."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, WebSocket
from starlette.middleware.cors import CORSMiddleware
from websockets.sync.client import connect

from rollout.bucketing import in_rollout
from rollout.naming import route_flag_name
from router_proxy.errors import ConfigError
from router_proxy.middleware import StranglerMiddleware
from tests.conftest import TEST_SECRET_KEY, Database
from tests.router_proxy.in_process import Scenario, run_in_process
from tests.router_proxy.servers import FLASK_TARGET, uvicorn_thread


def their_app() -> FastAPI:
    """A team's FastAPI app: one route shared with legacy, one its own, a websocket."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"pool": "opened in the app's lifespan"}

    app = FastAPI(lifespan=lifespan)

    @app.get("/shared")
    async def shared() -> dict[str, str]:
        return {"source": "new"}

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"source": "legacy", "id": item_id}  # legacy's answer, ported exactly

    @app.get("/new-only")
    async def new_only(request: Request) -> dict[str, Any]:
        return {"source": "new", "pool": request.state.pool}

    @app.websocket("/ws")
    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        await socket.send_text("from new")
        await socket.close()

    return app


@pytest.fixture
def config(tmp_path: Path) -> Callable[[str], Path]:
    def write(routes: str) -> Path:
        path = tmp_path / "strangler.toml"
        path.write_text(f'[flags]\nprovider = "static"\n\n{routes}')
        return path

    return write


@pytest.fixture
def make_app(
    config: Callable[[str], Path], flag_db: Database, fleet_db: Database, database_url: str
) -> Callable[..., FastAPI]:
    """Their app with the middleware added, reading ``routes`` as its strangler.toml; the
    ledger and the fleet counters start empty."""

    def make(routes: str = "", **options: Any) -> FastAPI:
        app = their_app()
        app.add_middleware(
            StranglerMiddleware,
            legacy=FLASK_TARGET,
            config=config(routes),
            env={"DATABASE_URL": database_url},
            settings={"secret_key": TEST_SECRET_KEY, **options},
        )
        return app

    return make


def serve(app: FastAPI, scenario: Scenario[None]) -> None:
    """Run the app's lifespan around ``scenario``, as uvicorn would."""
    run_in_process(app, scenario)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def route_row(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    rows = (await client.get("/_strangler/status")).json()["routes"]
    return next((row for row in rows if row["route"] == key), {})


@pytest.mark.parametrize(
    ("path", "served_by", "body"),
    [
        pytest.param(
            "/new-only",
            "new",
            {"source": "new", "pool": "opened in the app's lifespan"},
            id="own-route-is-new",
        ),
        pytest.param("/", "legacy", "legacy index", id="flask-only-route-is-legacy"),
        pytest.param("/shared", "legacy", {"source": "legacy"}, id="shared-route-starts-legacy"),
        pytest.param("/nowhere", "legacy", None, id="unknown-path-goes-to-legacy"),
    ],
)
def test_routes_split_between_the_app_and_legacy(make_app, path, served_by, body):
    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get(path)
        assert response.headers["x-served-by"] == served_by
        if body is None:
            assert response.status_code == 404
        elif isinstance(body, str):
            assert response.text == body
        else:
            assert response.json() == body

    serve(make_app(), scenario)


def test_a_route_set_to_new_is_served_by_the_app(make_app):
    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/shared")
        assert (response.headers["x-served-by"], response.json()) == ("new", {"source": "new"})

    serve(make_app('[routes."GET /shared"]\nmode = "new"\n'), scenario)


def test_shadow_answers_from_legacy_and_records_the_mismatch(make_app, flag_db: Database):
    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/shared")
        assert (response.headers["x-served-by"], response.json()) == (
            "legacy",
            {"source": "legacy"},
        )

        async def compared() -> bool:
            return (await route_row(client, "GET /shared")).get("mismatches") == 1

        await eventually(compared)
        row = await route_row(client, "GET /shared")
        assert (row["comparisons"], row["requests"]) == (1, {"legacy": 1})

    plan = '[routes."GET /shared"]\nmode = "shadow"\nshadow_sample = 100\n'
    serve(make_app(plan), scenario)
    recorded = flag_db.all("SELECT route_key, source FROM parity_mismatches")
    assert recorded == [("GET /shared", "shadow")]


def test_a_matching_shadow_records_nothing(make_app, flag_db: Database):
    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.get("/items/7")).json() == {"source": "legacy", "id": 7}

        async def compared() -> bool:
            return (await route_row(client, "GET /items/{item_id}")).get("comparisons") == 1

        await eventually(compared)
        assert (await route_row(client, "GET /items/{item_id}"))["mismatches"] == 0

    plan = '[routes."GET /items/{item_id}"]\nmode = "shadow"\nshadow_sample = 100\n'
    serve(make_app(plan), scenario)
    assert flag_db.scalar("SELECT count(*) FROM parity_mismatches") == 0


def test_canary_sends_a_sticky_share_of_callers_to_the_app(make_app):
    tokens = [f"sk_test_{secrets.token_hex(8)}" for _ in range(40)]
    flag = route_flag_name("GET /shared")
    expected = {t for t in tokens if in_rollout(30, flag, _caller(t))}
    assert 0 < len(expected) < len(tokens)

    async def scenario(client: httpx.AsyncClient) -> None:
        for _ in range(2):  # the same callers, the same sides
            on_new = set()
            for token in tokens:
                response = await client.get("/shared", headers={"Authorization": f"Bearer {token}"})
                if response.headers["x-served-by"] == "new":
                    assert response.json() == {"source": "new"}
                    on_new.add(token)
            assert on_new == expected

    serve(make_app('[routes."GET /shared"]\nmode = "canary"\npercent = 30\n'), scenario)


def _caller(token: str) -> str:
    # router_proxy.context: a bearer token's caller is a digest of the token.
    return "key:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def test_the_kill_switch_sends_the_apps_own_routes_back_to_legacy_where_it_has_them(make_app):
    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.get("/shared")).headers["x-served-by"] == "legacy"
        assert (await client.get("/new-only")).headers["x-served-by"] == "new"  # legacy has none

    serve(make_app('kill_switch = true\n\n[routes."GET /shared"]\nmode = "new"\n'), scenario)


def test_under_other_middleware_the_routes_are_still_found(config, database_url, fleet_db):
    app = their_app()
    app.add_middleware(
        StranglerMiddleware,
        legacy=FLASK_TARGET,
        config=config('[routes."GET /shared"]\nmode = "new"\n'),
        env={"DATABASE_URL": database_url},
        settings={"secret_key": TEST_SECRET_KEY},
    )
    app.add_middleware(CORSMiddleware, allow_origins=["https://shop.example"])  # outside

    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/shared", headers={"Origin": "https://shop.example"})
        assert response.headers["x-served-by"] == "new"
        assert response.headers["access-control-allow-origin"] == "https://shop.example"
        legacy = await client.get("/", headers={"Origin": "https://shop.example"})
        assert legacy.headers["access-control-allow-origin"] == "https://shop.example"

    serve(app, scenario)


def test_under_uvicorn_the_lifespan_runs_and_websockets_reach_the_app(make_app):
    with uvicorn_thread(make_app()) as server:  # lifespan="on", as deployed
        url = f"http://127.0.0.1:{server.port}"
        answer = httpx.get(url + "/new-only", timeout=10)
        assert answer.json()["pool"] == "opened in the app's lifespan"
        assert httpx.get(url + "/dir/", timeout=10).text == "directory"
        with connect(f"ws://127.0.0.1:{server.port}/ws") as socket:
            assert socket.recv(timeout=10) == "from new"


def test_the_legacy_app_may_be_given_as_an_object(config, database_url, fleet_db):
    from tests.router_proxy.apps import flask_app

    app = their_app()
    app.add_middleware(
        StranglerMiddleware,
        legacy=flask_app.app,
        config=config(""),
        env={"DATABASE_URL": database_url},
    )

    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.get("/dir/")).text == "directory"

    serve(app, scenario)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"legacy": FLASK_TARGET, "settings": {"mode": "remote"}}, "in-process", id="remote-mode"
        ),
        pytest.param(
            {"legacy": FLASK_TARGET, "settings": {"shadow_workers": 2}},
            "unknown settings",
            id="unknown-setting",
        ),
        pytest.param({"legacy": "nowhere.wsgi:app"}, "cannot import", id="legacy-not-importable"),
    ],
)
def test_a_wrong_configuration_fails_at_the_first_call(options, message):
    app = their_app()
    app.add_middleware(StranglerMiddleware, config=None, **options)
    transport = httpx.ASGITransport(app=app)

    async def first_call() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            await client.get("/shared")

    with pytest.raises(ConfigError, match=message):
        asyncio.run(first_call())


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_wrong_configuration_fails_uvicorns_startup():  # uvicorn exits its thread
    app = their_app()
    app.add_middleware(
        StranglerMiddleware, legacy=FLASK_TARGET, config=None, settings={"mode": "remote"}
    )

    with pytest.raises(RuntimeError, match="died at startup"), uvicorn_thread(app):
        pass

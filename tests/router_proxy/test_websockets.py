"""WebSockets reach the app that declares them, in process and remote (a real websocket
client, real uvicorn upstream): text, bytes, the subprotocol and the close code cross the
router; a path nobody declares is refused at the handshake. Server-sent events stream
through both modes unbuffered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol
from werkzeug.routing import Rule

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.asgi import Apps, build_app
from router_proxy.config import load_settings
from tests.router_proxy.apps import fastapi_app
from tests.router_proxy.conftest import RouterFactory
from tests.router_proxy.servers import uvicorn_thread


@pytest.fixture(scope="module", params=["inprocess", "remote"])
def router(request: pytest.FixtureRequest, make_router: RouterFactory) -> Iterator[int]:
    with make_router(request.param) as server:
        yield server.port


def test_a_websocket_reaches_the_new_app_and_back(router):
    chat = Subprotocol("chat.v1")
    with connect(f"ws://127.0.0.1:{router}/ws/echo", subprotocols=[chat]) as ws:
        assert ws.subprotocol == "chat.v1"
        ws.send("hello")
        assert ws.recv(timeout=5) == "hello"
        ws.send(b"\x00\xffbinary")
        assert ws.recv(timeout=5) == b"\x00\xffbinary"
        ws.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000


def test_a_websocket_path_nobody_declares_is_refused(router):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{router}/ws/nowhere", open_timeout=5)
    assert refused.value.response.status_code == 403


def test_server_sent_events_stream_unbuffered(router):
    began = time.monotonic()
    with httpx.stream("GET", f"http://127.0.0.1:{router}/events", timeout=10) as answer:
        chunks = answer.iter_raw()
        first = next(chunks)
        arrived = time.monotonic() - began
        rest = b"".join(chunks)
    assert answer.headers["x-served-by"] == "new"
    assert first.startswith(b"data: first")
    assert b"data: second" in first + rest
    assert arrived < 1.0  # the second event comes 1.5 s after the first: not waited for


async def legacy_websocket_server(scope: Any, receive: Any, send: Any) -> None:
    """Stands in for a remote legacy server that speaks WebSocket (flask-sock under
    gunicorn would): it answers "legacy:" and what it got."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    message = await receive()
    await send({"type": "websocket.send", "text": "legacy:" + message.get("text", "")})
    await send({"type": "websocket.close", "code": 1000})


def flask_with_a_websocket_rule() -> Flask:
    legacy = Flask("legacy-ws")
    legacy.url_map.add(Rule("/ws/echo", endpoint="ws", websocket=True))
    return legacy


@pytest.mark.parametrize(
    ("mode", "flag", "answer"),
    [
        pytest.param("remote", "legacy", "legacy:who", id="remote-legacy"),
        pytest.param("remote", "new", "who", id="remote-new"),
        pytest.param("inprocess", "new", "who", id="inprocess-new"),
    ],
)
def test_a_websocket_both_apps_declare_follows_the_flag(direct_fastapi, mode, flag, answer):
    with uvicorn_thread(legacy_websocket_server) as legacy_server:
        overrides = {
            "legacy_app": "given:app",
            "new_app": "given:app",
            "mode": mode,
            "legacy_url": f"http://127.0.0.1:{legacy_server.port}",
            "new_url": f"http://127.0.0.1:{direct_fastapi}",
        }
        plan = parse_plan({"routes": {"GET /ws/echo": {"mode": flag}}})
        apps = Apps(flask_with_a_websocket_rule(), fastapi_app.app)
        router = build_app(load_settings({}, {}, overrides), StaticProvider(plan), apps)
        with (
            uvicorn_thread(router) as server,
            connect(f"ws://127.0.0.1:{server.port}/ws/echo", open_timeout=5) as ws,
        ):
            ws.send("who")
            assert ws.recv(timeout=5) == answer


def test_legacy_in_process_cannot_hold_a_websocket_so_it_is_refused():
    settings = load_settings({}, {}, {"legacy_app": "given:app", "new_app": "given:app"})
    plan = parse_plan({"routes": {"GET /ws/echo": {"mode": "legacy"}}})
    apps = Apps(flask_with_a_websocket_rule(), fastapi_app.app)
    with (
        uvicorn_thread(build_app(settings, StaticProvider(plan), apps)) as server,
        pytest.raises(InvalidStatus) as refused,
    ):
        connect(f"ws://127.0.0.1:{server.port}/ws/echo", open_timeout=5)
    assert refused.value.response.status_code == 403

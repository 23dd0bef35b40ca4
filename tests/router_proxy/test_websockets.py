"""WebSockets reach the app that declares them, in process and remote (a real websocket
client, real uvicorn upstream): text, bytes, the subprotocol and the close code cross the
router; a path nobody declares is refused at the handshake. Server-sent events stream
through both modes unbuffered."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.router_proxy.conftest import RouterFactory


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

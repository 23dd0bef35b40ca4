"""Bodies the router does not need stream through it, whatever their size (S3 parts are
5 MiB and more): no limit of the router's own by default, in process and remote, checked
against real gunicorn; a copy (shadow, recorder, fallback) holds at most its cap and is
skipped past it; a limit, when one is configured, is 413 in the router's error shape."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.asgi import build_app
from router_proxy.body import RequestBody
from router_proxy.capture import buffer_request_body
from router_proxy.config import load_settings
from tests.router_proxy.servers import ECHO_TARGET, uvicorn_thread

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def direct(direct_echo: int) -> int:
    return direct_echo


def routed_app(mode: str, legacy_port: int, **overrides: Any) -> Any:
    chosen = {
        "legacy_app": ECHO_TARGET,
        "mode": mode,
        "legacy_url": f"http://127.0.0.1:{legacy_port}",
    }
    return build_app(load_settings({}, {}, {**chosen, **overrides}), StaticProvider(parse_plan({})))


@pytest.fixture(scope="module", params=["inprocess", "remote"])
def routed(request: pytest.FixtureRequest, direct: int) -> Iterator[int]:
    with uvicorn_thread(routed_app(request.param, direct)) as server:
        yield server.port


def chunks(data: bytes, size: int = 256 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def post(port: int, data: bytes, chunked: bool) -> httpx.Response:
    content: Any = chunks(data) if chunked else data
    return httpx.post(f"http://127.0.0.1:{port}/digest", content=content, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize(
    "size", [pytest.param(5 * MiB, id="5MiB"), pytest.param(50 * MiB, id="50MiB")]
)
@pytest.mark.parametrize(
    "chunked", [pytest.param(False, id="length"), pytest.param(True, id="chunked")]
)
def test_a_large_body_reaches_the_app_whole(direct, routed, size, chunked):
    data = os.urandom(size)
    expected = {"length": size, "sha256": hashlib.sha256(data).hexdigest()}

    answer = post(routed, data, chunked)

    assert answer.status_code == 200
    assert answer.json() == expected
    if size == 5 * MiB:  # gunicorn takes it too (the 50 MiB case is the router's alone)
        assert post(direct, data, chunked).json() == expected


@pytest.mark.parametrize(
    "chunked", [pytest.param(False, id="length"), pytest.param(True, id="chunked")]
)
def test_a_configured_limit_is_413_in_the_error_shape(direct, chunked):
    with uvicorn_thread(routed_app("inprocess", direct, max_body_bytes=MiB)) as server:
        answer = post(server.port, os.urandom(2 * MiB), chunked)

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "request_too_large"


def test_a_copy_past_its_cap_holds_the_cap_and_the_rest_streams():
    sent = [os.urandom(64 * 1024) for _ in range(32)]  # 2 MiB, chunked: no length known
    pulled = 0

    async def scenario() -> tuple[bytes | None, int, bytes]:
        nonlocal pulled
        messages = iter(sent)

        async def receive() -> dict[str, Any]:
            nonlocal pulled
            chunk = next(messages, None)
            if chunk is None:
                await asyncio.sleep(3600)
            pulled += 1
            return {"type": "http.request", "body": chunk, "more_body": pulled < len(sent)}

        body = RequestBody(receive, limit=0)
        kept = await buffer_request_body(body, None, 256 * 1024)
        held = pulled
        received = bytearray()
        while True:
            message = await body.receive()
            received += message.get("body", b"")
            if not message.get("more_body", False):
                break
        body.close()
        return kept, held, bytes(received)

    kept, held, received = asyncio.run(scenario())

    assert kept is None  # past the cap: no copy
    assert held <= 256 * 1024 // (64 * 1024) + 1 + 8  # the cap, one chunk more, the queue
    assert received == b"".join(sent)  # the primary still gets every byte, in order

"""Compression at the entrypoint: the router as ``strangler serve`` runs it
(``router_proxy.serving.entrypoint``) over a Flask app and a FastAPI app of its own,
driven through ``httpx.ASGITransport`` with the lifespan run. Bodies are read raw (as
sent on the wire), so what is asserted is what the client receives before decoding."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import brotli
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from flask import Flask, Response

from router_proxy.asgi import Apps, build_router
from router_proxy.compression import CompressionSettings, choose_encoding, load_compression
from router_proxy.errors import ConfigError
from router_proxy.serving import entrypoint
from tests.conftest import TEST_SECRET_KEY, Database
from tests.router_proxy.in_process import Scenario, run_in_process

LARGE = {"items": [{"id": n, "status": "captured", "amount": 1000 + n} for n in range(200)]}
LARGE_BYTES = json.dumps(LARGE).encode()
PRE_ENCODED = gzip.compress(b"x" * 5000)


def legacy_app() -> Flask:
    app = Flask("legacy-compression")

    @app.get("/large")
    def large() -> Response:
        return Response(LARGE_BYTES, mimetype="application/json")

    @app.get("/small")
    def small() -> Response:
        return Response(b'{"ok": true}', mimetype="application/json")

    @app.get("/pre-encoded")
    def pre_encoded() -> Response:
        headers = {"Content-Encoding": "gzip"}
        return Response(PRE_ENCODED, mimetype="text/plain", headers=headers)

    @app.get("/events")
    def events() -> Response:
        chunks = (f"data: {n}{' ' * 600}\n\n".encode() for n in range(4))
        return Response(chunks, mimetype="text/event-stream")

    return app


def new_app() -> FastAPI:
    app = FastAPI()

    @app.get("/large")
    async def large() -> Any:
        return LARGE  # the port, answering alike: a shadow compares equal

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"chunk {n} ".encode() * 200

        return StreamingResponse(chunks(), media_type="text/plain")

    return app




@pytest.fixture
def serve(flag_db: Database, database_url: str) -> Iterator[Callable[..., None]]:
    """Run ``scenario`` against the entrypoint built from ``raw`` (a strangler.toml)."""

    def run(scenario: Scenario[None], raw: dict[str, Any]) -> None:
        raw = {"flags": {"provider": "static"}, **raw}
        env = {"DATABASE_URL": database_url}
        overrides = {"secret_key": TEST_SECRET_KEY, "shadow_isolation": "loop"}
        router = build_router(raw, env, overrides, apps=Apps(legacy_app(), new_app()))
        run_in_process(entrypoint(router, raw), _without_accept_encoding(scenario))

    yield run


def _without_accept_encoding(scenario: Scenario[None]) -> Scenario[None]:
    async def run(client: httpx.AsyncClient) -> None:
        del client.headers["accept-encoding"]  # each test says what it accepts
        await scenario(client)

    return run


ON = {"compression": {"enabled": True}}


async def get_raw(
    client: httpx.AsyncClient, path: str, accept: str | None
) -> tuple[httpx.Response, bytes]:
    headers = {"accept-encoding": accept} if accept is not None else {}
    async with client.stream("GET", path, headers=headers) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("gzip, deflate, br", "br", id="browser-prefers-br"),
        pytest.param("gzip", "gzip", id="gzip-only"),
        pytest.param("br;q=0, gzip", "gzip", id="br-refused"),
        pytest.param("gzip;q=0.5, br;q=0.4", "gzip", id="gzip-weighed-higher"),
        pytest.param("*", "br", id="wildcard"),
        pytest.param("*;q=0", None, id="wildcard-refused"),
        pytest.param("deflate", None, id="only-deflate"),
        pytest.param("identity", None, id="identity"),
        pytest.param("", None, id="empty"),
        pytest.param("gzip;q=bogus", None, id="unreadable-weight-is-refusal"),
    ],
)
def test_choose_encoding(accept: str, expected: str | None) -> None:
    assert choose_encoding(accept) == expected


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        pytest.param("/large", "gzip", id="legacy-gzip"),
        pytest.param("/large", "br", id="legacy-br"),
        pytest.param("/stream", "gzip", id="new-streamed-gzip"),
        pytest.param("/stream", "gzip, br", id="new-streamed-br"),
    ],
)
def test_large_answers_are_compressed_in_the_coding_asked(serve, path: str, accept: str) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        plain, plain_body = await get_raw(client, path, None)
        response, body = await get_raw(client, path, accept)
        coding = choose_encoding(accept)
        assert coding is not None
        assert response.headers["content-encoding"] == coding
        assert response.headers["vary"] == "Accept-Encoding"
        assert DECODERS[coding](body) == plain_body
        assert len(body) < len(plain_body)
        assert response.headers["x-served-by"] == plain.headers["x-served-by"]
        if "content-length" in response.headers:
            assert int(response.headers["content-length"]) == len(body)

    serve(scenario, ON)


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        pytest.param("/large", None, id="no-accept-encoding"),
        pytest.param("/large", "identity", id="identity-only"),
        pytest.param("/small", "gzip, br", id="below-threshold"),
        pytest.param("/pre-encoded", "gzip, br", id="backend-already-encoded"),
        pytest.param("/events", "gzip, br", id="event-stream"),
    ],
)
def test_answers_it_must_not_touch_pass_byte_for_byte(serve, path: str, accept: str | None):
    backend: dict[str, tuple[httpx.Response, bytes]] = {}

    async def record(client: httpx.AsyncClient) -> None:
        backend[path] = await get_raw(client, path, accept)

    async def scenario(client: httpx.AsyncClient) -> None:
        response, body = await get_raw(client, path, accept)
        own, own_body = backend[path]
        assert body == own_body
        assert response.headers.get("content-encoding") == own.headers.get("content-encoding")
        assert "vary" not in response.headers

    serve(record, {})  # compression off: the backend's own bytes
    serve(scenario, ON)


def test_off_by_default_the_router_is_byte_transparent(serve) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        response, body = await get_raw(client, "/large", "gzip, br")
        assert "content-encoding" not in response.headers
        assert body == LARGE_BYTES

    serve(scenario, {})


def test_a_shadow_compares_the_apps_own_bytes(serve, flag_db: Database) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        response, _ = await get_raw(client, "/large", "br")
        assert response.headers["content-encoding"] == "br"

        async def compared() -> bool:
            rows = (await client.get("/_strangler/status")).json()["routes"]
            row = next(row for row in rows if row["route"] == "GET /large")
            return bool(row.get("comparisons") == 1)

        for _ in range(100):
            if await compared():
                break
            await asyncio.sleep(0.05)
        assert await compared()

    plan = {"routes": {"GET /large": {"mode": "shadow", "shadow_sample": 100}}}
    serve(scenario, {**ON, **plan})
    assert flag_db.all("SELECT route_key FROM parity_mismatches") == []


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param({"enabld": True}, "unknown keys", id="typo"),
        pytest.param({"enabled": "yes"}, "true or false", id="enabled-not-bool"),
        pytest.param({"gzip_level": 12}, "from 1 to 9", id="gzip-level-range"),
        pytest.param({"brotli_quality": -1}, "from 0 to 11", id="brotli-quality-range"),
        pytest.param({"minimum_size": "1k"}, "an integer", id="size-not-int"),
    ],
)
def test_a_bad_compression_table_is_a_config_error(table: dict[str, Any], message: str):
    with pytest.raises(ConfigError, match=message):
        load_compression({"compression": table})


def test_compression_table_defaults() -> None:
    assert load_compression({}) == CompressionSettings(enabled=False, minimum_size=1024)

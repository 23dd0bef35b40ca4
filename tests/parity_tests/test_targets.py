"""The direct WSGI/ASGI calls answer exactly as httpx's own in-process transports do."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from flask import Flask, jsonify
from flask import Response as FlaskResponse
from flask import request as flask_request

from parity_tests.targets import BASE_URL, Answer, AsgiTarget, Outgoing, WsgiTarget, _answer

REQUESTS = [
    pytest.param(Outgoing("GET", "/echo"), id="plain-get"),
    pytest.param(Outgoing("GET", "/echo", {"page": "2", "q": "a b&c"}), id="query-encoded"),
    pytest.param(
        Outgoing(
            "POST",
            "/echo",
            headers={"Content-Type": "application/json", "Authorization": "Bearer k"},
            body=b'{"amount_cents": 5}',
        ),
        id="post-json-with-auth",
    ),
    pytest.param(Outgoing("DELETE", "/echo", headers={"Cookie": "s=1; t=2"}), id="cookies-sent"),
    pytest.param(Outgoing("HEAD", "/echo"), id="head-has-no-body"),
    pytest.param(Outgoing("GET", "/missing"), id="not-found"),
]


def flask_echo() -> Flask:
    app = Flask("echo")

    @app.route("/echo", methods=["GET", "POST", "DELETE", "HEAD"])
    def echo() -> FlaskResponse:
        response = jsonify(
            method=flask_request.method,
            path=flask_request.path,
            query=flask_request.query_string.decode(),
            headers=sorted(flask_request.headers.items()),
            body=flask_request.get_data(as_text=True),
        )
        response.set_cookie("a", "1")
        response.set_cookie("b", "2", max_age=0)
        return response

    return app


def fastapi_echo() -> FastAPI:
    app = FastAPI()

    @app.api_route("/echo", methods=["GET", "POST", "DELETE", "HEAD"])
    async def echo(request: Request) -> Response:
        document = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": sorted(request.headers.items()),
            "body": (await request.body()).decode(),
            "client": list(request.client or ()),
        }
        response = Response(json.dumps(document), media_type="application/json")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2", max_age=0)
        return response

    return app


def via_httpx(client: httpx.Client, request: Outgoing) -> Answer:
    response = client.request(
        request.method,
        request.path,
        params=dict(request.query) or None,
        headers=dict(request.headers),
        content=request.body,
    )
    return _answer(response)


@pytest.mark.parametrize("request_", REQUESTS)
def test_wsgi_call_matches_httpx_wsgi_transport(request_: Outgoing) -> None:
    app = flask_echo()
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        expected = via_httpx(client, request_)
    target = WsgiTarget(app)
    assert asyncio.run(target.send(request_)) == expected
    if request_.path == "/echo":
        assert len(expected.set_cookies) == 2  # the comparison covered both Set-Cookie headers


@pytest.mark.parametrize("request_", REQUESTS)
def test_asgi_call_matches_httpx_asgi_transport(request_: Outgoing) -> None:
    app = fastapi_echo()

    async def both() -> tuple[Answer, Answer]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            response = await client.request(
                request_.method,
                request_.path,
                params=dict(request_.query) or None,
                headers=dict(request_.headers),
                content=request_.body,
            )
        target = AsgiTarget(app)
        await target.start()
        try:
            return _answer(response), await target.send(request_)
        finally:
            await target.close()

    expected, direct = asyncio.run(both())
    assert direct == expected


def path_echo_flask() -> Flask:
    app = Flask("paths")

    @app.route("/<path:rest>")
    def echo(rest: str) -> FlaskResponse:
        # PATH_INFO as the server set it (Werkzeug's request.path folds a leading "//")
        raw = flask_request.environ["PATH_INFO"].encode("latin-1").decode("utf-8")
        return jsonify(path=raw)

    @app.route("/boom")
    def boom() -> FlaskResponse:
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = True  # as under a test client: the raise escapes
    return app


def path_echo_asgi() -> FastAPI:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/{rest:path}")
    async def echo(request: Request) -> dict[str, str]:
        return {"path": request.url.path}

    return app


@pytest.mark.parametrize(
    ("path", "seen"),
    [
        pytest.param("/books/café", "/books/café", id="utf-8-beyond-latin-1"),
        pytest.param("/books/€uro", "/books/€uro", id="euro-sign"),
        pytest.param("/books/caf%C3%A9", "/books/café", id="percent-encoded"),
        pytest.param("//evil.example/x", "//evil.example/x", id="leading-slashes-stay-a-path"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("side", ["wsgi", "asgi"])
def test_any_path_reaches_the_app_as_a_server_would_pass_it(path, seen, side):
    target = WsgiTarget(path_echo_flask()) if side == "wsgi" else AsgiTarget(path_echo_asgi())
    answer = asyncio.run(target.send(Outgoing("GET", path)))

    assert answer.response.status == 200
    assert json.loads(answer.response.body) == {"path": seen}


@pytest.mark.parametrize(
    "outgoing",
    [
        pytest.param(Outgoing("GET", "books"), id="no-leading-slash"),
        pytest.param(Outgoing("GET", "/boom"), id="the-app-raises"),
    ],
)
@pytest.mark.parametrize("side", ["wsgi", "asgi"])
def test_what_cannot_be_sent_or_answered_is_the_cases_error(outgoing, side):
    from parity_tests.errors import TargetError

    target = WsgiTarget(path_echo_flask()) if side == "wsgi" else AsgiTarget(path_echo_asgi())
    if side == "asgi" and outgoing.path == "/boom":
        # Starlette sent its 500 before re-raising: that answer is what a client gets.
        assert asyncio.run(target.send(outgoing)).response.status == 500
        return
    with pytest.raises(TargetError, match=r"GET .*(starts with|raised RuntimeError)"):
        asyncio.run(target.send(outgoing))

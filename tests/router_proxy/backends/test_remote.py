"""A6: remote backends that are down or slow give 502/504 in the JSON error shape; the
circuit opens after 5 failures; connect errors are retried once for idempotent requests."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from tests.router_proxy import rawhttp
from tests.router_proxy.servers import free_port


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


class SlowUpstream:
    """Accepts connections, counts them, never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def test_down_backend_is_502_json_and_opens_the_circuit(make_router):
    with make_router("remote", legacy_url=dead_url(), circuit_failures=5) as server:
        answers = [rawhttp.request(server.port, "POST", "/both") for _ in range(6)]
    assert [a.status for a in answers] == [502] * 5 + [502]
    assert json.loads(answers[0].body)["error"]["code"] == "bad_gateway"
    assert answers[0].header("x-served-by") == "legacy"
    assert answers[0].header("retry-after") is None
    assert answers[5].header("retry-after") == "30", "the sixth is refused by the open circuit"


def test_idempotent_request_retried_once_on_connect_error(make_router):
    # A GET makes two connect attempts: three GETs reach the 5-failure threshold at 6.
    with make_router("remote", legacy_url=dead_url()) as server:
        for _ in range(3):
            assert rawhttp.request(server.port, "GET", "/").status == 502
        refused = rawhttp.request(server.port, "GET", "/")
    assert refused.header("retry-after") == "30"


@pytest.mark.parametrize(
    ("method", "headers", "connections"),
    [
        pytest.param("GET", [], 1, id="timeout-is-not-retried"),
        pytest.param("POST", [("Idempotency-Key", "k1")], 1, id="write-with-key-not-retried"),
    ],
)
def test_slow_backend_is_504(make_router, method, headers, connections):
    upstream = SlowUpstream()
    try:
        with make_router(
            "remote", legacy_url=f"http://127.0.0.1:{upstream.port}", read_timeout=0.5
        ) as server:
            answer = rawhttp.request(server.port, method, "/both", headers)
    finally:
        upstream.close()
    assert answer.status == 504
    assert json.loads(answer.body)["error"]["code"] == "gateway_timeout"
    assert upstream.accepted == connections


def test_readiness_reports_a_down_remote_backend(make_router):
    with make_router("remote", new_url=dead_url()) as server:
        ready = rawhttp.request(server.port, "GET", "/_strangler/readyz")
    assert ready.status == 503
    assert json.loads(ready.body)["backends"] == {"legacy": True, "new": False}

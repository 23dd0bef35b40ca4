"""The legacy thread pool: bounded waiting by default (503 + Retry-After, A16), queueing
as gunicorn does when ``pool_wait_seconds`` is 0 (long polls in process)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.router_proxy import rawhttp
from tests.router_proxy.apps import flask_app
from tests.router_proxy.conftest import RouterFactory


@pytest.mark.parametrize(
    ("wait", "statuses"),
    [
        pytest.param(0.3, [200, 503], id="bounded-wait-503"),
        pytest.param(0, [200, 200], id="zero-queues"),
    ],
)
def test_a_busy_pool_waits_as_configured(make_router: RouterFactory, wait, statuses):
    flask_app.SLOW_GATE.clear()
    with make_router("inprocess", wsgi_threads=1, pool_wait_seconds=wait) as server:
        results: list[int] = []
        first = threading.Thread(
            target=lambda: results.append(rawhttp.request(server.port, "GET", "/slow?s=1").status)
        )
        first.start()
        time.sleep(0.2)  # the one thread is taken
        results.append(rawhttp.request(server.port, "GET", "/slow?s=1").status)
        first.join()

    assert sorted(results) == statuses

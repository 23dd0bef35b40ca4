"""A4 in ``strangler up``'s remote mode: legacy (gunicorn, through our ProxyFix entry), new
(uvicorn) and the flag context all see the client the router resolved, never a client-sent
X-Forwarded-For.

The apps run as ``strangler up`` starts them (the real command lines, supervised); the
router runs in remote mode in a thread, so the test can read the caller contexts it builds.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from rollout.types import CallerContext
from router_proxy import load_settings
from router_proxy.asgi import assemble
from router_proxy.context import CallerReader
from router_proxy.identity import IdentitySettings
from strangler.deploy.commands import LEGACY_ENTRY, LOOPBACK, process_specs
from strangler.deploy.settings import load_up_settings
from strangler.deploy.supervisor import Supervisor
from tests.fixtures.rollout import free_port
from tests.router_proxy import rawhttp
from tests.router_proxy.servers import FASTAPI_TARGET, FLASK_TARGET, uvicorn_thread

pytestmark = pytest.mark.slow
PLAN = {"routes": {"GET /client": {"mode": "new"}}}


class RecordingCallerReader(CallerReader):
    """The router's own reader, keeping each context it hands to the flag decision."""

    def __init__(self, identity: IdentitySettings, secret_key: str) -> None:
        super().__init__(identity, secret_key)
        self.seen: list[CallerContext] = []

    def context(self, *args, **kwargs) -> CallerContext:
        ctx = super().context(*args, **kwargs)
        self.seen.append(ctx)
        return ctx


@pytest.fixture(scope="module")
def apps(database_url: str) -> Iterator[tuple[int, int]]:
    """Legacy and new as ``strangler up`` runs them; yields their ports."""
    overrides = {"legacy_port": free_port(), "new_port": free_port(), "router_port": free_port()}
    up = load_up_settings({"up": {"legacy_workers": 1, "new_workers": 1}}, overrides)
    config = {"apps": {"legacy": FLASK_TARGET, "new": FASTAPI_TARGET}}
    legacy, new, _router = process_specs(up, config, Path("strangler.toml"), None)
    supervisor = Supervisor([legacy, new], output=io.StringIO(), ready_timeout=30)
    supervisor.start()
    stopping = threading.Event()
    loop = threading.Thread(target=supervisor.run_until, args=(stopping, 0.1))
    loop.start()
    try:
        yield up.legacy_port, up.new_port
    finally:
        stopping.set()
        loop.join()
        supervisor.stop(drain_seconds=2)


@contextmanager
def remote_router(
    apps: tuple[int, int], trusted: str
) -> Iterator[tuple[int, RecordingCallerReader]]:
    legacy_port, new_port = apps
    settings = load_settings(
        {},
        env={},
        overrides={
            "legacy_app": FLASK_TARGET,
            "new_app": FASTAPI_TARGET,
            "mode": "remote",
            "legacy_url": f"http://{LOOPBACK}:{legacy_port}",
            "new_url": f"http://{LOOPBACK}:{new_port}",
            "secret_key": "router-test-secret",
            "trusted_proxies": trusted,
        },
    )
    assembly = assemble(settings, StaticProvider(parse_plan(PLAN)))
    reader = assembly.callers = RecordingCallerReader(settings.identity, settings.secret_key)
    router = assembly.build()
    with uvicorn_thread(router) as server:
        yield server.port, reader


def test_up_serves_legacy_through_the_proxy_fix_entry_and_trusts_only_loopback():
    up = load_up_settings({"up": {"host": "0.0.0.0"}}, {})
    legacy, new, router = process_specs(
        up, {"apps": {"legacy": "my.app:wsgi", "new": "my.app:asgi"}}, Path("strangler.toml"), None
    )
    assert legacy.argv[-1] == LEGACY_ENTRY and legacy.env["STRANGLER_LEGACY_APP"] == "my.app:wsgi"
    assert f"{LOOPBACK}:{up.legacy_port}" in legacy.argv
    new_argv = list(new.argv)
    assert new_argv[new_argv.index("--host") + 1] == LOOPBACK
    assert new_argv[new_argv.index("--forwarded-allow-ips") + 1] == LOOPBACK
    assert "--proxy-headers" in new_argv
    assert router.argv[router.argv.index("--host") + 1] == "0.0.0.0"
    assert router.env["STRANGLER_LEGACY_URL"] == f"http://{LOOPBACK}:{up.legacy_port}"


@pytest.mark.parametrize(
    ("trusted", "forwarded_for", "client", "scheme"),
    [
        pytest.param("", "6.6.6.6", "127.0.0.1", "http", id="spoofed-from-untrusted-client"),
        pytest.param(
            "127.0.0.0/8",
            "198.51.100.1, 203.0.113.7",
            "203.0.113.7",
            "https",
            id="via-trusted-proxy",
        ),
    ],
)
@pytest.mark.parametrize(
    ("path", "served_by"),
    [
        pytest.param("/echo-environ", "legacy", id="legacy"),
        pytest.param("/client", "new", id="new"),
    ],
)
def test_a4_apps_and_flag_context_see_the_same_client(
    apps, trusted, forwarded_for, client, scheme, path, served_by
):
    sent = [("X-Forwarded-For", forwarded_for), ("X-Forwarded-Proto", "https")]
    with remote_router(apps, trusted) as (port, reader):
        response = rawhttp.request(port, "GET", path, sent)
    assert response.status == 200, response.body
    assert response.header("x-served-by") == served_by
    body = json.loads(response.body)
    assert body.get("remote_addr", body.get("client")) == client
    assert body.get("url", f"{scheme}://").startswith(f"{scheme}://")  # legacy shows its scheme
    assert [ctx.remote_addr for ctx in reader.seen] == [client]

"""The Unleash provider against a real unleash-server and the real Python SDK."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rollout.flags.unleash import UnleashProvider
from rollout.flags.unleash_admin import UnleashAdmin
from rollout.naming import KILL_SWITCH_FLAG, route_flag_name
from rollout.types import Mode, RouteFlag, Stickiness
from tests.rollout.conftest import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def quiet_sdk_tracebacks():
    # The SDK logs a traceback per failed poll; the tests cause those on purpose.
    logger = logging.getLogger("UnleashClient")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(previous)


@pytest.fixture
def admin(unleash_server) -> Iterator[UnleashAdmin]:
    client = UnleashAdmin(unleash_server.url, unleash_server.admin_token)
    yield client
    client.close()


@pytest.fixture
def make_provider(tmp_path) -> Iterator[Callable[..., UnleashProvider]]:
    started: list[UnleashProvider] = []

    def make(url: str, token: str, **options: Any) -> UnleashProvider:
        cache = tmp_path / f"cache-{len(started)}"
        cache.mkdir()
        options.setdefault("refresh_interval", 1)
        provider = UnleashProvider(url, token, cache_directory=cache, **options)
        provider.start()
        started.append(provider)
        return provider

    yield make
    for provider in started:
        provider.stop()


def route_key(request) -> str:
    # One flag per test: the server outlives the tests, and names must not collide.
    return f"GET /api/v1/{request.node.name.replace('[', '-').strip(']')}/{{item_id}}"


def test_a_change_through_the_admin_api_reaches_the_snapshot_within_3_s(
    request, admin, unleash_server, make_provider
):
    key = route_key(request)
    provider = make_provider(unleash_server.url, unleash_server.client_token)
    flag = RouteFlag(Mode.CANARY, percent=25, shadow_sample=10, stickiness=Stickiness.USER_ID)

    admin.set_flag(key, flag)
    seconds = wait_until(lambda: provider.snapshot().flag_for(key) == flag, timeout=3.0)

    assert provider.health()["state"] == "ok", provider.health()
    assert seconds < 3.0


def test_a_ui_toggle_off_sends_the_route_to_legacy_within_3_s(
    request, admin, unleash_server, make_provider
):
    key = route_key(request)
    admin.set_flag(key, RouteFlag(Mode.NEW, percent=100))
    provider = make_provider(unleash_server.url, unleash_server.client_token)
    wait_until(lambda: provider.snapshot().flag_for(key).mode is Mode.NEW)

    # What the UI's switch does: the environment off, strategy untouched.
    name = route_flag_name(key)
    httpx.post(
        f"{unleash_server.url}/api/admin/projects/default/features/{name}"
        "/environments/development/off",
        headers={"Authorization": unleash_server.admin_token},
    ).raise_for_status()

    wait_until(lambda: provider.snapshot().flag_for(key).mode is Mode.LEGACY, timeout=3.0)


def test_the_kill_switch_reaches_the_snapshot_and_back(admin, unleash_server, make_provider):
    provider = make_provider(unleash_server.url, unleash_server.client_token)

    admin.set_kill_switch(True)
    wait_until(lambda: provider.snapshot().kill_switch, timeout=3.0)
    admin.set_kill_switch(False)
    wait_until(lambda: not provider.snapshot().kill_switch, timeout=3.0)


def test_the_admin_reads_back_what_it_wrote(request, admin, unleash_server):
    key = route_key(request)
    flag = RouteFlag(Mode.SHADOW, percent=0, shadow_sample=30, group_id="payments-read")

    admin.set_flag(key, flag)

    assert admin.read_state().flag_for(key) == flag


def test_a_refused_token_stops_polling_and_says_so(unleash_server, make_provider):
    provider = make_provider(unleash_server.url, "default:development.not-a-token")

    wait_until(lambda: provider.health()["state"] == "unauthorized", timeout=3.0)
    fetches = provider.fetches
    time.sleep(2.5)  # two and a half refresh intervals: no poll may happen

    assert provider.fetches == fetches, "the provider kept polling with a refused token"
    assert "401" in provider.health()["detail"]
    assert "polling stopped" in provider.health()["detail"]


def test_server_stopped_mid_run_keeps_the_last_state(request, start_unleash, make_provider):
    server = start_unleash()  # its own server: this test stops it
    key = route_key(request)
    UnleashAdmin(server.url, server.admin_token).set_flag(key, RouteFlag(Mode.CANARY, 30))
    provider = make_provider(server.url, server.client_token, stale_after=1.5)
    wait_until(lambda: provider.snapshot().flag_for(key).percent == 30)

    server.stop()

    wait_until(lambda: provider.health()["state"] == "degraded", timeout=5.0)
    assert provider.snapshot().flag_for(key) == RouteFlag(Mode.CANARY, 30)


@pytest.mark.parametrize(
    ("bootstrap", "expected_mode"),
    [
        pytest.param(True, Mode.NEW, id="bootstrap-file"),
        pytest.param(False, Mode.LEGACY, id="no-bootstrap-means-all-legacy"),
    ],
)
def test_server_down_at_boot(make_provider, tmp_path: Path, bootstrap, expected_mode):
    path = None
    if bootstrap:
        path = tmp_path / "features.json"
        feature = {
            "name": "route.get.api.v1.me",
            "enabled": True,
            "strategies": [
                {"name": "flexibleRollout", "parameters": {"rollout": "100", "mode": "new"}}
            ],
        }
        path.write_text(json.dumps({"version": 2, "features": [feature]}))

    provider = make_provider("http://127.0.0.1:1", "default:development.x", bootstrap=path)

    assert provider.snapshot().flag_for("GET /api/v1/me").mode is expected_mode
    assert provider.snapshot().kill_switch is False


def test_flag_names_the_cli_writes_are_the_documented_ones(request, admin, unleash_server):
    key = route_key(request)
    admin.set_flag(key, RouteFlag(Mode.CANARY, 5))
    admin.set_kill_switch(False)

    features = httpx.get(
        f"{unleash_server.url}/api/client/features",
        headers={"Authorization": unleash_server.client_token},
    ).json()["features"]

    names = {feature["name"] for feature in features}
    assert {route_flag_name(key), KILL_SWITCH_FLAG} <= names

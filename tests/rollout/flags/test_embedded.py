"""The embedded provider against the real PostgreSQL: propagation, outages, bootstrap."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from rollout.errors import ProviderError
from rollout.flags.embedded import EmbeddedFlagStore, EmbeddedProvider
from rollout.types import Mode, RouteFlag, Stickiness
from tests.conftest import Database
from tests.rollout.conftest import wait_until

ROUTE = "GET /api/v1/payments/{payment_id}"
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nothing"


@pytest.fixture
def store(flag_db: Database) -> EmbeddedFlagStore:
    return EmbeddedFlagStore(flag_db.url)


@pytest.fixture
def make_provider() -> Iterator[Callable[..., EmbeddedProvider]]:
    started: list[EmbeddedProvider] = []

    def make(url: str, bootstrap: Path | None = None) -> EmbeddedProvider:
        provider = EmbeddedProvider(url, bootstrap, backoff_initial=0.05, backoff_max=0.2)
        provider.start()
        started.append(provider)
        return provider

    yield make
    for provider in started:
        provider.stop()


@contextmanager
def database_down(db: Database) -> Iterator[None]:
    """New connections refused and the listeners' sessions killed, as in an outage."""
    name = db.scalar("SELECT current_database()")
    # A database cannot refuse connections from inside itself: administer it from another.
    admin = Database(make_url(db.url).set(database="postgres").render_as_string(False))
    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name LIKE 'strangler-flags-%%'",
            (name,),
        )
        yield
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()


def test_a_write_reaches_every_provider_through_notify(store, flag_db, make_provider):
    first, second = make_provider(flag_db.url), make_provider(flag_db.url)
    flag = RouteFlag(Mode.CANARY, percent=25, shadow_sample=10, stickiness=Stickiness.USER_ID)

    store.set_flag(ROUTE, flag)

    wait_until(lambda: first.snapshot().flag_for(ROUTE) == flag, timeout=1.0)
    wait_until(lambda: second.snapshot().flag_for(ROUTE) == flag, timeout=1.0)
    assert first.health()["state"] == "ok"


def test_the_kill_switch_reaches_providers_and_back(store, flag_db, make_provider):
    provider = make_provider(flag_db.url)
    assert provider.snapshot().kill_switch is False

    store.set_kill_switch(True)
    wait_until(lambda: provider.snapshot().kill_switch, timeout=1.0)
    store.set_kill_switch(False)
    wait_until(lambda: not provider.snapshot().kill_switch, timeout=1.0)


def test_a_provider_started_later_loads_the_current_state(store, flag_db, make_provider):
    store.set_flag(ROUTE, RouteFlag(Mode.NEW))
    store.set_kill_switch(True)

    snapshot = make_provider(flag_db.url).snapshot()

    assert snapshot.flag_for(ROUTE).mode is Mode.NEW
    assert snapshot.kill_switch is True
    assert snapshot.source == "embedded"


def test_database_down_mid_run_keeps_the_last_state_and_recovers(store, flag_db, make_provider):
    provider = make_provider(flag_db.url)
    store.set_flag(ROUTE, RouteFlag(Mode.CANARY, percent=40))
    wait_until(lambda: provider.snapshot().flag_for(ROUTE).percent == 40)

    with database_down(flag_db):
        wait_until(lambda: provider.health()["state"] == "degraded")
        assert provider.snapshot().flag_for(ROUTE).percent == 40
        # A change made while the listener is away: its NOTIFY is lost, the reload is not.
        flag_db.execute("UPDATE rollout_flags SET percent = 60")
        assert provider.snapshot().flag_for(ROUTE).percent == 40

    wait_until(lambda: provider.snapshot().flag_for(ROUTE).percent == 60)
    assert provider.health()["state"] == "ok"


def test_database_down_at_boot_serves_the_bootstrap_then_the_database(
    store, flag_db, make_provider, tmp_path
):
    store.set_flag(ROUTE, RouteFlag(Mode.NEW))
    bootstrap = tmp_path / "flags.json"
    bootstrap.write_text(json.dumps({"routes": {ROUTE: {"mode": "canary", "percent": 5}}}))

    with database_down(flag_db):
        provider = make_provider(flag_db.url, bootstrap)
        assert provider.snapshot().flag_for(ROUTE) == RouteFlag(Mode.CANARY, percent=5)
        assert provider.snapshot().source == f"bootstrap:{bootstrap}"
        assert provider.health()["state"] == "degraded"

    wait_until(lambda: provider.snapshot().flag_for(ROUTE).mode is Mode.NEW)


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        pytest.param(
            "flags.toml",
            '[flags]\nkill_switch = true\n[routes."GET /api/v1/me"]\nmode = "new"\n',
            "killed",
            id="toml-with-kill-switch",
        ),
        pytest.param(
            "flags.json", '{"routes": {"GET /api/v1/me": {"mode": "new"}}}', "new", id="json"
        ),
        pytest.param("flags.json", "{not json", "all-legacy", id="broken-json-means-all-legacy"),
        pytest.param(
            "flags.toml",
            '[routes."GET /x"]\nmode = "sideways"\n',
            "all-legacy",
            id="invalid-mode-means-all-legacy",
        ),
        pytest.param(None, None, "all-legacy", id="no-file-means-all-legacy"),
    ],
)
def test_bootstrap_files_at_boot(make_provider, tmp_path, file_name, content, expected):
    path = None
    if file_name:
        path = tmp_path / file_name
        path.write_text(content)

    snapshot = make_provider(UNREACHABLE, path).snapshot()

    outcome = "killed" if snapshot.kill_switch else snapshot.flag_for("GET /api/v1/me").mode
    assert outcome == expected if expected != "all-legacy" else snapshot.source == "all-legacy"


def test_the_store_says_what_is_wrong_when_the_database_is_unreachable():
    with pytest.raises(ProviderError, match="unreachable"):
        EmbeddedFlagStore(UNREACHABLE + "?connect_timeout=1").set_kill_switch(True)


def test_stop_is_prompt_and_leaves_the_last_snapshot(store, flag_db, make_provider):
    provider = make_provider(flag_db.url)
    store.set_flag(ROUTE, RouteFlag(Mode.SHADOW, shadow_sample=50))
    wait_until(lambda: provider.snapshot().flag_for(ROUTE).mode is Mode.SHADOW)

    provider.stop()

    assert provider.snapshot().flag_for(ROUTE).shadow_sample == 50
    assert provider.health()["state"] == "stopped"

"""``strangler up`` end to end: three tiers on free ports, routed, supervised, stopped."""

from __future__ import annotations

import signal
import time

import httpx
import psutil
import pytest

from rollout.flags.embedded import EmbeddedFlagStore
from rollout.types import Mode, RouteFlag
from strangler.deploy import UpConfigError
from strangler.deploy.commands import process_specs
from strangler.deploy.settings import load_up_settings
from tests.deploy.stack import running_up, wait_for
from tests.fixtures.rollout import wait_until

pytestmark = pytest.mark.slow
ME = "GET /api/v1/me"
APPS = {"apps": {"legacy": "legacy_flask.wsgi:app", "new": "fastapi_app.main:app"}}


def served_by(url: str, headers: dict[str, str]) -> str:
    response = httpx.get(f"{url}/api/v1/me", headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return response.headers["x-served-by"]


def answers(url: str, headers: dict[str, str]) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/me", headers=headers, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_routes_through_the_router_and_follows_flags(tmp_path, database_url, flag_db, make_owner):
    owner = make_owner()
    with running_up(tmp_path, database_url) as stack:
        assert served_by(stack.router_url, owner.headers) == "legacy"
        EmbeddedFlagStore(database_url).set_flag(ME, RouteFlag(mode=Mode.NEW), actor="test")
        wait_until(lambda: served_by(stack.router_url, owner.headers) == "new", timeout=10)
        assert "legacy |" in stack.log() and "router |" in stack.log()


@pytest.mark.parametrize("victim", [pytest.param(n, id=n) for n in ("legacy", "new", "router")])
def test_a_killed_process_is_restarted(tmp_path, database_url, flag_db, make_owner, victim):
    owner = make_owner()
    with running_up(tmp_path, database_url) as stack:
        before = stack.pids()[victim]
        psutil.Process(before).kill()
        wait_until(lambda: stack.pids()[victim] != before, timeout=10)
        wait_for(f"{stack.router_url}/_strangler/readyz")
        wait_until(lambda: answers(stack.router_url, owner.headers), timeout=10)
        assert f"{victim} exited" in stack.log()


def test_sigterm_drains_and_stops_every_process(tmp_path, database_url, flag_db, make_owner):
    owner = make_owner()
    workers = ("--new-workers", "2", "--router-workers", "2")
    with running_up(tmp_path, database_url, *workers) as stack:
        children = stack.descendants()
        # three masters, one gunicorn worker, 2 + 2 uvicorn workers (and their helpers)
        assert len(children) >= 8
        with httpx.Client(timeout=10) as client:
            answer = client.get(f"{stack.router_url}/api/v1/me", headers=owner.headers)
        assert answer.status_code == 200, answer.text
        started = time.monotonic()
        stack.process.send_signal(signal.SIGTERM)
        assert stack.process.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(children, timeout=5)
        assert alive == []
        assert not stack.state_file.exists()
        assert time.monotonic() - started < 20
        assert "all processes stopped" in stack.log()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param({"legacy_worker_class": "eventlet"}, "legacy_worker_class", id="bad-class"),
        pytest.param({"router_workers": 0}, "must be positive", id="zero-workers"),
        pytest.param({"new_port": 8001}, "ports must differ", id="same-port"),
        pytest.param({"color": "blue"}, "unknown keys", id="unknown-key"),
    ],
)
def test_bad_up_tables_are_refused(table, message):
    with pytest.raises(UpConfigError, match=message):
        load_up_settings({"up": table}, {})


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param({}, {"--worker-class": "sync"}, id="sync"),
        pytest.param(
            {"legacy_worker_class": "gthread", "legacy_threads": 8},
            {"--worker-class": "gthread", "--threads": "8"},
            id="gthread",
        ),
    ],
)
def test_legacy_worker_class_comes_from_config(table, expected, tmp_path):
    legacy = process_specs(load_up_settings({"up": table}, {}), APPS, tmp_path, None)[0]
    argv = list(legacy.argv)
    assert {option: argv[argv.index(option) + 1] for option in expected} == expected
    assert ("--threads" in argv) == ("--threads" in expected)


def test_up_without_both_apps_named_says_so_in_one_line(tmp_path):
    with pytest.raises(UpConfigError, match=r"\[apps\]: name both apps"):
        process_specs(load_up_settings({}, {}), {"apps": {"legacy": "a:app"}}, tmp_path, None)

"""The router holds no state of its own: two router processes in front of the same legacy
and new servers, reading flags from the same embedded store, make the same decision for
every caller and follow every flag change."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from rollout.flags.embedded import EmbeddedFlagStore
from rollout.types import Mode, RouteFlag, Stickiness
from tests.deploy.stack import ROOT, Stack, wait_for
from tests.fixtures.rollout import free_port, wait_until

pytestmark = pytest.mark.slow
ME = "GET /api/v1/me"


@pytest.fixture(scope="module")
def second_router(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    config = tmp_path_factory.mktemp("second") / "strangler.toml"
    config.write_text('[flags]\nprovider = "embedded"\n')
    env = {
        **os.environ,
        "STRANGLER_CONFIG": str(config),
        "STRANGLER_MODE": "remote",
        # A router names its apps (remote: for their route tables); it assumes none.
        "STRANGLER_LEGACY_APP": "legacy_flask.wsgi:app",
        "STRANGLER_NEW_APP": "fastapi_app.main:app",
        "STRANGLER_LEGACY_URL": stack.legacy_url,
        "STRANGLER_NEW_URL": stack.new_url,
    }
    command = [sys.executable, "-m", "uvicorn", "strangler.deploy.router_app:create",
               "--factory", "--port", str(port), "--no-access-log"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/_strangler/readyz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def decisions(routers: list[str], owners) -> list[list[str]]:
    return [
        [httpx.get(f"{r}/api/v1/me", headers=o.headers, timeout=5).headers["x-served-by"]
         for r in routers]
        for o in owners
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        pytest.param(RouteFlag(mode=Mode.LEGACY), {"legacy"}, id="legacy"),
        pytest.param(RouteFlag(mode=Mode.NEW), {"new"}, id="new"),
        pytest.param(
            RouteFlag(mode=Mode.CANARY, percent=50, stickiness=Stickiness.USER_ID),
            {"legacy", "new"},
            id="sticky-canary-50",
        ),
    ],
)
def test_two_routers_agree(stack, second_router, flag_db, make_owner, flag, expected):
    routers = [stack.router_url, second_router]
    owners = [make_owner() for _ in range(16)]
    EmbeddedFlagStore(flag_db.url).set_flag(ME, flag, actor="test")

    def settled() -> bool:
        rows = decisions(routers, owners)
        return all(len(set(row)) == 1 for row in rows) and {r[0] for r in rows} <= expected

    wait_until(settled, timeout=10)
    seen = {row[0] for row in decisions(routers, owners)}
    # 16 owners at 50%: both sides show up unless the hash is very unlucky (2 in 65,536).
    assert seen == expected


def test_kill_switch_reaches_both_routers(stack, second_router, flag_db, make_owner):
    routers = [stack.router_url, second_router]
    owners = [make_owner() for _ in range(4)]
    store = EmbeddedFlagStore(flag_db.url)
    store.set_flag(ME, RouteFlag(mode=Mode.NEW), actor="test")
    wait_until(lambda: decisions(routers, owners) == [["new", "new"]] * 4, timeout=10)
    store.set_kill_switch(True, actor="test")
    try:
        wait_until(lambda: decisions(routers, owners) == [["legacy", "legacy"]] * 4, timeout=10)
    finally:
        store.set_kill_switch(False, actor="test")

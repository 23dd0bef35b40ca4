"""The router holds no state of its own: two router processes in front of the same legacy
and new servers, reading flags from the same embedded store, make the same decision for
every caller and follow every flag change."""

from __future__ import annotations

import httpx
import pytest

from rollout.flags.embedded import EmbeddedFlagStore
from rollout.types import Mode, RouteFlag, Stickiness
from tests.fixtures.rollout import wait_until

pytestmark = pytest.mark.slow
ME = "GET /api/v1/me"


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

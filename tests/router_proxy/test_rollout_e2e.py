"""Every route mode end to end through the router, with the payments apps in-process and
the flags in the embedded store or the real Unleash server: modes, kill switch, the
sticky canary across routers, writes never sent twice (A8), last state on outage (A9)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from rollout.bucketing import in_rollout
from rollout.naming import route_flag_name
from rollout.types import Mode, RouteFlag
from tests.conftest import Database, Owner
from tests.fixtures.rollout import wait_until
from tests.router_proxy.flag_sources import FlagSource, embedded_source, unleash_source
from tests.router_proxy.rollout_router import RunningRouter, running_router

ACCOUNT = "GET /api/v1/accounts/{account_id}"
CREATE = "POST /api/v1/accounts"
USED_ROUTES = (ACCOUNT, CREATE)
# The payments project's [identity], as its strangler.toml names it.
PAYMENTS_IDENTITY = {
    "identity": {"resolver": "legacy_flask.identity:api_key_owners", "session_key": "owner"}
}


@pytest.fixture(autouse=True)
def quiet_sdk_tracebacks() -> Iterator[None]:
    logger = logging.getLogger("UnleashClient")  # one traceback per failed poll otherwise
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(previous)


@pytest.fixture(
    params=[
        pytest.param("embedded", id="embedded"),
        pytest.param("unleash", id="unleash", marks=pytest.mark.slow),
    ]
)
def flags(request: pytest.FixtureRequest, flag_db: Database, tmp_path) -> Iterator[FlagSource]:
    if request.param == "embedded":
        source = embedded_source(flag_db.url)
    else:
        source = unleash_source(request.getfixturevalue("unleash_server"), tmp_path)
        for key in USED_ROUTES:  # the session's server keeps flags between tests
            source.set(key, RouteFlag(), wait=False)
        source.writer.set_kill_switch(False, actor="tests")
    yield source
    close = getattr(source.writer, "close", None)
    if close is not None:
        close()


@pytest.fixture
def payments_router(
    flag_db: Database, request: pytest.FixtureRequest
) -> Iterator[Callable[[FlagSource], RunningRouter]]:
    """``start(flags)``: a router over fresh payments apps, reading ``flags``."""
    from fastapi_app.main import create_app as create_new
    from legacy_flask.app import create_app as create_legacy
    from tests.fastapi_app.port_client import port_settings

    with ExitStack() as stack:

        def start(source: FlagSource, **overrides: Any) -> RunningRouter:
            new_app = create_new(port_settings(request.node.nodeid, REDIS_URL=""))
            options = {"database_url": flag_db.url, "shadow_timeout": 5.0, **overrides}
            running = running_router(
                create_legacy(), new_app, source.provider(), raw=PAYMENTS_IDENTITY, **options
            )
            return stack.enter_context(running)

        yield start


def served_by(router: RunningRouter, path: str, owner: Owner) -> str:
    answer = router.get(path, owner.headers)
    assert answer.status_code == 200, answer.text
    return answer.headers["x-served-by"]


def test_every_mode_end_to_end(flags, payments_router, make_owner, make_account):
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner, balance=500)}"
    router = payments_router(flags)
    counters = router.counters(ACCOUNT)
    assert served_by(router, path, owner) == "legacy"

    flags.set(ACCOUNT, RouteFlag(Mode.SHADOW, shadow_sample=100))
    assert served_by(router, path, owner) == "legacy"
    wait_until(lambda: counters.comparisons == 1)
    assert counters.mismatches == 0, "the port disagrees with legacy on an account read"

    flags.set(ACCOUNT, RouteFlag(Mode.CANARY, percent=100))
    assert served_by(router, path, owner) == "new"
    flags.set(ACCOUNT, RouteFlag(Mode.CANARY, percent=0))
    assert served_by(router, path, owner) == "legacy"

    flags.set(ACCOUNT, RouteFlag(Mode.NEW, shadow_sample=100, reverse_shadow=True))
    assert served_by(router, path, owner) == "new"
    wait_until(lambda: counters.comparisons == 2)  # the reverse shadow, to legacy

    flags.kill(True)
    assert served_by(router, path, owner) == "legacy"
    flags.kill(False)
    assert served_by(router, path, owner) == "new"
    wait_until(lambda: counters.requests == {"legacy": 4, "new": 3})
    assert counters.mismatches == 0


def test_a_toggle_at_the_source_changes_routing_within_3_s(
    flags, payments_router, make_owner, make_account
):
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner)}"
    router = payments_router(flags)

    flags.set(ACCOUNT, RouteFlag(Mode.NEW), wait=False)

    wait_until(lambda: served_by(router, path, owner) == "new", timeout=3.0)


def test_canary_25_sends_the_same_quarter_of_owners_to_new_on_every_router(
    flags, payments_router, make_owner, make_account, db
):
    owners = [make_owner(f"org_canary_{i:02d}") for i in range(40)]
    paths = [f"/api/v1/accounts/{make_account(owner)}" for owner in owners]
    routers = [payments_router(flags), payments_router(flags)]  # two processes' worth of state
    flags.set(ACCOUNT, RouteFlag(Mode.CANARY, percent=25))
    expected = {o.owner for o in owners if in_rollout(25, route_flag_name(ACCOUNT), o.owner)}

    for router in routers:
        for _ in range(2):
            on_new = {
                owner.owner
                for owner, path in zip(owners, paths, strict=True)
                if served_by(router, path, owner) == "new"
            }
            assert on_new == expected
    assert 0 < len(expected) < len(owners)

    # Another key of the same owner: the owner, not the key, picks the side.
    owner = owners[0]
    second_key = f"sk_test_{secrets.token_hex(16)}"
    db.execute(
        "INSERT INTO api_keys (key_hash, owner) VALUES (encode(sha256(%s::bytea), 'hex'), %s)",
        (second_key.encode(), owner.owner),
    )
    other = Owner(owner.owner, second_key, "", "", {"Authorization": f"Bearer {second_key}"})
    side = "new" if owner.owner in expected else "legacy"
    assert served_by(routers[0], paths[0], other) == side


def row_counts(db: Database) -> dict[str, int]:
    tables = ("accounts", "ledger_entries", "idempotency_keys")
    return {table: db.scalar(f"SELECT count(*) FROM {table}") for table in tables}


def create_account(router: RunningRouter, owner: Owner, **headers: str) -> Any:
    sent = {**owner.headers, "Idempotency-Key": secrets.token_hex(8), **headers}
    return router.request("POST", "/api/v1/accounts", json={"currency": "EUR"}, headers=sent)


@pytest.mark.parametrize(
    ("flag", "served", "copies"),
    [
        pytest.param(RouteFlag(Mode.SHADOW, shadow_sample=100), "legacy", 0, id="shadow-skipped"),
        pytest.param(
            RouteFlag(Mode.SHADOW, shadow_sample=100, sandbox_writes=True),
            "legacy",
            1,
            id="shadow-sandboxed",
        ),
        pytest.param(
            RouteFlag(Mode.NEW, shadow_sample=100, reverse_shadow=True), "new", 0, id="new-reverse"
        ),
    ],
)
def test_a_shadowed_write_is_never_committed_twice(
    flags, payments_router, make_owner, db, flag, served, copies
):
    owner = make_owner()
    router = payments_router(flags)
    flags.set(CREATE, flag)
    before = row_counts(db)

    # A client cannot sandbox its own request: the router strips X-Strangler-* headers.
    answer = create_account(router, owner, **{"X-Strangler-Sandbox": "1"})
    counters = router.counters(CREATE)
    wait_until(lambda: counters.requests[served] == 1)
    if copies:
        wait_until(lambda: counters.comparisons == 1)

    assert answer.status_code == 201, answer.text
    assert answer.headers["x-served-by"] == served
    assert router.shadow.sent == copies
    after = row_counts(db)
    assert after["accounts"] == before["accounts"] + 1
    assert after["idempotency_keys"] == before["idempotency_keys"] + 1


def test_a_write_without_a_stable_identity_stays_on_legacy(flags, payments_router):
    router = payments_router(flags)
    flags.set(CREATE, RouteFlag(Mode.CANARY, percent=100))

    answer = router.request("POST", "/api/v1/accounts", json={"currency": "EUR"})

    assert answer.status_code == 401
    assert answer.headers["x-served-by"] == "legacy"


def test_a_stopped_provider_keeps_serving_its_last_state(
    flags, payments_router, make_owner, make_account
):
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner)}"
    router = payments_router(flags)
    witness = flags.provider()  # keeps running: proves the change did go out
    witness.start()
    flags.set(ACCOUNT, RouteFlag(Mode.NEW))

    router.app.provider.stop()
    flags.set(ACCOUNT, RouteFlag(Mode.LEGACY))

    assert witness.snapshot().flag_for(ACCOUNT).mode is Mode.LEGACY
    assert served_by(router, path, owner) == "new"
    assert router.get("/_strangler/healthz").json()["flags"]["state"] == "stopped"
    witness.stop()


@pytest.mark.slow
def test_an_unleash_server_going_away_keeps_the_last_state(
    start_unleash, payments_router, make_owner, make_account, tmp_path
):
    server = start_unleash()
    flags = unleash_source(server, tmp_path)
    owner = make_owner()
    path = f"/api/v1/accounts/{make_account(owner)}"
    router = payments_router(flags)
    flags.set(ACCOUNT, RouteFlag(Mode.NEW))

    server.stop()

    for _ in range(3):
        assert served_by(router, path, owner) == "new"
    wait_until(lambda: router.app.provider.health()["state"] == "degraded", timeout=8.0)
    assert served_by(router, path, owner) == "new"


def test_health_and_readiness_show_the_flag_provider(flags, payments_router):
    router = payments_router(flags)

    health = router.get("/_strangler/healthz").json()
    ready = router.get("/_strangler/readyz")

    assert health["flags"]["provider"] == flags.name
    assert health["flags"]["state"] == "ok"
    assert ready.status_code == 200
    assert ready.json()["flags"]["provider"] == flags.name

"""The payments project's identity resolver (API key -> owner): cached, never the key
itself, degraded not broken on outage; the router runs it when strangler.toml names it."""

from __future__ import annotations

import asyncio
import hashlib

from legacy_flask.identity import OwnerDirectory
from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from tests.fixtures.rollout import wait_until
from tests.router_proxy.apps.shadow_apps import legacy as legacy_app
from tests.router_proxy.apps.shadow_apps import new as new_app
from tests.router_proxy.rollout_router import running_router


def test_an_owner_is_looked_up_once_then_cached(make_owner, database_url):
    owner = make_owner()
    directory = OwnerDirectory(database_url)
    header = owner.headers["Authorization"].encode()

    answers = [asyncio.run(directory.owner_for(header)) for _ in range(3)]

    assert answers == [owner.owner] * 3
    assert directory.lookups == 1
    directory.close()


def test_unknown_keys_and_other_schemes_have_no_owner(db, database_url):
    directory = OwnerDirectory(database_url)

    assert asyncio.run(directory.owner_for(b"Bearer sk_test_nobody")) is None
    assert asyncio.run(directory.owner_for(b"Basic dXNlcjpwYXNz")) is None
    assert directory.lookups == 1
    directory.close()


def test_an_unreachable_database_pauses_lookups_instead_of_failing():
    directory = OwnerDirectory("postgresql://postgres@127.0.0.1:1/nothing", retry_after=60)

    first = asyncio.run(directory.owner_for(b"Bearer sk_test_1"))
    second = asyncio.run(directory.owner_for(b"Bearer sk_test_2"))

    assert (first, second) == (None, None)
    assert directory.lookups == 1


def revoke(db, api_key: str) -> None:
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    db.execute("UPDATE api_keys SET revoked_at = now() WHERE key_hash = %s", (digest,))


async def _checked_twice(directory: OwnerDirectory) -> None:
    """Let the watcher ask twice (a check that started before the revocation may miss it)."""
    watcher = asyncio.create_task(directory.watch_revocations(0.05))
    start = directory.revocation_checks
    try:
        while directory.revocation_checks < start + 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)  # the last answer reaches the cache on the loop
    finally:
        watcher.cancel()


def test_a_revoked_key_stops_routing_as_its_owner_within_one_interval(db, make_owner, database_url):
    keep, gone = make_owner(), make_owner()
    directory = OwnerDirectory(database_url)  # owners cached for the default 300 s

    async def scenario() -> tuple[list[str | None], list[str | None], int]:
        keys = [o.headers["Authorization"].encode() for o in (keep, gone)]
        before = [await directory.owner_for(key) for key in keys]
        await _checked_twice(directory)  # the watcher's clock starts before the revocation
        revoke(db, gone.api_key)
        await _checked_twice(directory)
        lookups = directory.lookups
        after = [await directory.owner_for(key) for key in keys]
        return before, after, directory.lookups - lookups

    before, after, new_lookups = asyncio.run(scenario())
    directory.close()

    assert before == [keep.owner, gone.owner]
    assert after == [keep.owner, None]
    assert new_lookups == 1  # only the revoked key was asked again; the other stayed cached


def test_one_check_asks_once_whatever_the_cache_holds(db, make_owner, database_url):
    owners = [make_owner() for _ in range(20)]
    directory = OwnerDirectory(database_url)

    async def scenario() -> tuple[int, int]:
        for owner in owners:
            await directory.owner_for(owner.headers["Authorization"].encode())
        checks = directory.revocation_checks
        await _checked_twice(directory)
        return directory.revocation_checks - checks, directory.lookups

    checks, lookups = asyncio.run(scenario())
    directory.close()

    assert (checks, lookups) == (2, 20)
    assert directory.cached == 20


def test_a_router_watches_revocations_from_its_start(db, database_url):
    named = {"identity": {"resolver": "legacy_flask.identity:api_key_owners"}}
    with running_router(
        legacy_app, new_app, StaticProvider(parse_plan({})), raw=named, database_url=database_url
    ) as router:
        owners = router.app.dispatcher.parts.resolver
        assert isinstance(owners, OwnerDirectory)
        wait_until(lambda: owners.revocation_checks >= 1, timeout=10)

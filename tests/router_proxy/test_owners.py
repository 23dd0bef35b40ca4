"""API key -> owner lookups: cached, never the key itself, degraded not broken on outage."""

from __future__ import annotations

import asyncio

from router_proxy.owners import OwnerDirectory


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

"""The per-worker API key cache: live keys remembered for the TTL, revocation honoured
after it, unknown keys never remembered."""

from __future__ import annotations

import hashlib
import time

import pytest

from fastapi_app.api_keys import ApiKeyCache
from fastapi_app.main import create_app
from tests.fastapi_app.port_client import PortClient, port_settings

TTL = 0.5


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        pytest.param(0.0, "org_1", id="just-remembered"),
        pytest.param(4.9, "org_1", id="within-ttl"),
        pytest.param(5.0, None, id="at-ttl"),
        pytest.param(60.0, None, id="long-after"),
    ],
)
def test_an_owner_is_remembered_for_the_ttl(elapsed, expected):
    clock = FakeClock()
    keys = ApiKeyCache(ttl_seconds=5.0, clock=clock)
    keys.remember("hash_1", "org_1")
    clock.now += elapsed
    assert keys.owner_of("hash_1") == expected


def test_a_zero_ttl_remembers_nothing():
    keys = ApiKeyCache(ttl_seconds=0)
    keys.remember("hash_1", "org_1")
    assert (keys.enabled, keys.owner_of("hash_1")) == (False, None)


def test_the_oldest_entry_goes_when_full():
    keys = ApiKeyCache(ttl_seconds=5.0, max_entries=2)
    for number in range(3):
        keys.remember(f"hash_{number}", f"org_{number}")
    assert [keys.owner_of(f"hash_{n}") for n in range(3)] == [None, "org_1", "org_2"]


def _revoke(db, api_key: str) -> None:
    key_hash = hashlib.sha256(api_key.encode()).hexdigest()
    db.execute("UPDATE api_keys SET revoked_at = now() WHERE key_hash = %s", (key_hash,))


def _port(request, ttl: float) -> PortClient:
    settings = port_settings(request.node.nodeid, REDIS_URL="", API_KEY_CACHE_SECONDS=str(ttl))
    return PortClient(create_app(settings))


def test_a_revoked_key_stops_working_once_the_ttl_has_passed(db, make_owner, request):
    owner = make_owner()
    port = _port(request, TTL)
    try:
        assert port.get("/api/v1/me", headers=owner.headers).status_code == 200
        looked_up = time.monotonic()
        _revoke(db, owner.api_key)
        still_cached = port.get("/api/v1/me", headers=owner.headers).status_code
        if time.monotonic() - looked_up < TTL:
            assert still_cached == 200  # the documented price of the cache
        time.sleep(max(0.0, looked_up + TTL - time.monotonic()) + 0.05)
        assert port.get("/api/v1/me", headers=owner.headers).status_code == 401
    finally:
        port.close()


def test_with_the_cache_off_revocation_is_immediate(db, make_owner, request):
    owner = make_owner()
    port = _port(request, 0)
    try:
        assert port.get("/api/v1/me", headers=owner.headers).status_code == 200
        _revoke(db, owner.api_key)
        assert port.get("/api/v1/me", headers=owner.headers).status_code == 401
    finally:
        port.close()


def test_an_unknown_key_is_not_remembered(db, make_owner, request):
    port = _port(request, 60)
    try:
        early = {"Authorization": "Bearer sk_test_not_yet"}
        assert port.get("/api/v1/me", headers=early).status_code == 401
        db.execute(
            "INSERT INTO api_keys (key_hash, owner) VALUES (%s, 'org_late')",
            (hashlib.sha256(b"sk_test_not_yet").hexdigest(),),
        )
        assert port.get("/api/v1/me", headers=early).json() == {
            "auth": "api_key",
            "owner": "org_late",
        }
    finally:
        port.close()

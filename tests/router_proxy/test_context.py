"""The caller's identity comes from what ``[identity]`` names, in its order, and from
nothing else: no session key, table or column of any app is read unless named."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from flask import Flask

from router_proxy.assembly import load_resolver
from router_proxy.context import CallerReader
from router_proxy.errors import ConfigError
from router_proxy.identity import IdentitySettings, load_identity, resolve

SECRET = "their-secret"


def flask_session(data: dict[str, str], secret: str = SECRET) -> str:
    """A session cookie value exactly as Flask signs it."""
    app = Flask(__name__)
    app.secret_key = secret
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return str(serializer.dumps(data))


def jwt(claims: dict[str, object]) -> bytes:
    def part(value: dict[str, object]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    return b"Bearer " + part({"alg": "HS256"}) + b"." + part(claims) + b".c2lnbmF0dXJl"


def user_id(identity: dict[str, str], authorization: bytes = b"", cookie: bytes = b"",
            headers: list[tuple[bytes, bytes]] | None = None, resolved: str | None = None,
            secret: str = SECRET) -> str | None:  # fmt: skip
    reader = CallerReader(IdentitySettings(**identity), secret)
    return reader.context(authorization, cookie, headers or [], None, 0.0, resolved).user_id


@pytest.mark.parametrize(
    ("identity", "request_", "expected"),
    [
        pytest.param({"header": "X-User-Id"}, {"headers": [(b"x-user-id", b"u-7")]}, "u-7",
                     id="header"),
        pytest.param({"jwt_claim": "sub"}, {"authorization": jwt({"sub": "u-8"})}, "u-8",
                     id="jwt-claim"),
        pytest.param({"jwt_claim": "uid"}, {"authorization": jwt({"uid": 42})}, "42",
                     id="jwt-numeric-claim"),
        pytest.param({"session_key": "_user_id"},
                     {"cookie": b"session=" + flask_session({"_user_id": "u-9"}).encode()},
                     "u-9", id="flask-login-session"),
        pytest.param({"cookie": "uid"}, {"cookie": b"a=1; uid=u-10"}, "u-10", id="cookie"),
        pytest.param({"header": "X-User-Id"}, {"resolved": "from-resolver",
                     "headers": [(b"x-user-id", b"u-7")]}, "from-resolver",
                     id="resolver-first"),
    ],
)  # fmt: skip
def test_each_named_source_names_the_caller(identity, request_, expected):
    assert user_id(identity, **request_) == expected


@pytest.mark.parametrize(
    ("identity", "request_"),
    [
        pytest.param({}, {"headers": [(b"x-user-id", b"u-7")]}, id="header-not-named"),
        pytest.param({}, {"cookie": b"session=" + flask_session({"owner": "o-1"}).encode()},
                     id="session-owner-not-named"),
        pytest.param({"session_key": "owner"},
                     {"cookie": b"session=" + flask_session({"owner": "o-1"}, "forged").encode()},
                     id="session-signed-with-another-secret"),
        pytest.param({"cookie": "uid"}, {"cookie": b"other=1"}, id="cookie-absent"),
    ],
)  # fmt: skip
def test_what_is_not_named_or_does_not_check_out_is_no_identity(identity, request_):
    assert user_id(identity, **request_) is None


@pytest.mark.parametrize(
    "identity",
    [pytest.param({}, id="nothing-named"), pytest.param({"jwt_claim": "sub"}, id="no-jwt")],
)
def test_a_bearer_token_is_its_own_caller_by_its_hash(identity):
    found = user_id(identity, authorization=b"Bearer sk_live.secret")

    assert found is not None and found.startswith("key:") and "sk_live" not in found


def test_the_same_user_by_session_and_by_jwt_is_one_caller():
    identity = {"session_key": "_user_id", "jwt_claim": "sub"}
    by_session = user_id(identity, cookie=b"session=" + flask_session({"_user_id": "u"}).encode())

    assert by_session == user_id(identity, authorization=jwt({"sub": "u"})) == "u"


@pytest.mark.parametrize(
    ("table", "said"),
    [
        pytest.param({"sesion_key": "x"}, "[identity]: unknown keys ['sesion_key']", id="typo"),
        pytest.param({"header": 3}, "identity.header: a string", id="not-a-string"),
        pytest.param({"resolver": "nocolon"}, "'module:factory'", id="resolver-shape"),
    ],
)
def test_a_bad_identity_table_is_one_line(table, said):
    with pytest.raises(ConfigError, match=said.replace("[", r"\[").replace("]", r"\]")):
        load_identity({"identity": table})


class Named:
    """A project's resolver: the caller named by its ``Token`` Authorization."""

    async def identify(self, authorization: bytes, cookie: bytes) -> str | None:
        return authorization.decode().removeprefix("Token ") or None


def no_identify() -> object:
    return object()


class Broken:
    async def identify(self, authorization: bytes, cookie: bytes) -> str | None:
        raise RuntimeError("database down")


def test_a_resolver_is_made_once_from_its_factory():
    resolver = load_resolver("tests.router_proxy.test_context:Named")

    assert isinstance(resolver, Named)
    assert asyncio.run(resolve(resolver, b"Token acct-1", b"")) == "acct-1"


def test_a_resolver_that_raises_is_no_identity(caplog):
    assert asyncio.run(resolve(Broken(), b"Token x", b"")) is None
    assert "identity resolver failed: RuntimeError" in caplog.text


def test_a_resolver_without_identify_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="has no identify"):
        load_resolver("tests.router_proxy.test_context:no_identify")

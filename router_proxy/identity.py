"""Who the caller is, for sticky canaries: the ``[identity]`` table of strangler.toml.

A canary keeps each caller on one side only if the router can tell callers apart. Apps
say who their callers are in different ways, so the project names its own, in order of
preference (the first that yields a value wins):

- ``resolver = "module:factory"``: the project's own code (for instance an API key ->
  account lookup in its database); see ``IdentityResolver``;
- ``header = "X-User-Id"``: a header set by a gateway in front of the router;
- ``jwt_claim = "sub"``: a claim of a bearer JWT, read **without** verifying the
  signature: it only picks a side, it authorises nothing (the app still verifies it);
- ``session_key = "_user_id"``: a key of the Flask session cookie, whose signature is
  checked with the legacy app's own ``SECRET_KEY`` (flask-login keeps ``_user_id``);
- ``cookie = "uid"``: a cookie holding a stable id.

Then, whatever the table says: a hash of the bearer token (one caller per token), then
the router's own first-party cookie (``anonymous_cookie``, ``strangler_uid`` unless set;
``""`` turns it off): a caller nothing else names gets one on a canary route's answer
(HttpOnly, SameSite=Lax, Secure over https, one year), so an anonymous browser stays on
one side. The router knows no table, column or session key of any app: what is not named
here is not read.

Example:
    >>> load_identity({"identity": {"session_key": "_user_id"}}).session_key
    '_user_id'
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rollout.types import Mode, RouteInfo, Snapshot, Stickiness
from router_proxy.errors import ConfigError

log = logging.getLogger(__name__)
# The stickiness kinds that read the caller's identity (sessionId reads the session only).
IDENTITY_STICKINESS = frozenset({Stickiness.DEFAULT, Stickiness.USER_ID})


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    resolver: str = ""
    header: str = ""
    jwt_claim: str = ""
    session_key: str = ""
    cookie: str = ""
    # A caller none of the above names gets this first-party cookie on a canary route's
    # answer, so a browser stays on one side ("": none).
    anonymous_cookie: str = "strangler_uid"


FIELDS = frozenset(f.name for f in dataclasses.fields(IdentitySettings))


class IdentityResolver(Protocol):
    """The project's own way to name a caller, made by ``resolver = "module:factory"``
    (the factory is called once, with no arguments, at start).

    ``identify`` gets the request's Authorization and Cookie values and returns a stable
    id, or None when it cannot tell. It runs on the router's event loop for the routes
    whose canary needs an identity: anything slow (a database) belongs in a thread and a
    cache. Optional: ``async run()`` (a background task for the router's lifetime) and
    ``close()`` (at shutdown).
    """

    async def identify(self, authorization: bytes, cookie: bytes) -> str | None: ...


def load_identity(raw: Mapping[str, Any]) -> IdentitySettings:
    table = raw.get("identity", {})
    if not isinstance(table, Mapping):
        raise ConfigError("[identity] must be a table")
    unknown = set(table) - FIELDS
    if unknown:
        raise ConfigError(f"[identity]: unknown keys {sorted(unknown)}")
    values: dict[str, str] = {}
    for name, value in table.items():
        if not isinstance(value, str):
            raise ConfigError(f"identity.{name}: a string, not {value!r}")
        values[name] = value.strip()
    if values.get("resolver") and ":" not in values["resolver"]:
        raise ConfigError("identity.resolver: 'module:factory'")
    return IdentitySettings(**values)


def needs_identity(route: RouteInfo, snapshot: Snapshot) -> bool:
    """Only a canary split on a route both apps serve looks at who the caller is."""
    if snapshot.kill_switch or not (route.in_legacy and route.in_new):
        return False
    flag = snapshot.flag_for(route.key)
    return flag.mode is Mode.CANARY and flag.stickiness in IDENTITY_STICKINESS


async def resolve(resolver: IdentityResolver, authorization: bytes, cookie: bytes) -> str | None:
    """The resolver's answer; None (and one log line) when it raises: a caller the project's
    code cannot name still gets an answer, from the next source of ``[identity]``."""
    try:
        return await resolver.identify(authorization, cookie)
    except Exception as exc:  # the project's code: any failure is "cannot tell"
        log.warning("identity resolver failed: %s", type(exc).__name__)
        return None


ANONYMOUS_MAX_AGE = 365 * 24 * 3600


def anonymous_cookie(name: str, scheme: str) -> tuple[str, bytes]:
    """A new anonymous id and the Set-Cookie value that keeps it."""
    value = secrets.token_hex(16)
    secure = "; Secure" if scheme in ("https", "wss") else ""
    header = f"{name}={value}; Path=/; Max-Age={ANONYMOUS_MAX_AGE}; HttpOnly; SameSite=Lax{secure}"
    return value, header.encode("latin-1")


def needs_anonymous_id(route: RouteInfo, snapshot: Snapshot) -> bool:
    """A canary on a route both apps serve: the one decision that needs a caller at all."""
    if snapshot.kill_switch or not (route.in_legacy and route.in_new):
        return False
    return snapshot.flag_for(route.key).mode is Mode.CANARY

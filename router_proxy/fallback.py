"""Per-request fallback: when the new app fails a request legacy could have answered,
legacy answers it instead, within the same client request.

The new side's answer is watched, not buffered: its ``http.response.start`` goes to the
client the moment it is under 500, and from then on the request is the new side's. A
5xx start is held back (its body discarded), and so is everything when the new side
raises or has not started answering within ``fallback_timeout`` seconds; then legacy
gets the same request (the body was read whole first) and its bytes go to the client.

Only idempotent requests fall back: GET and HEAD, or a write that carries an
``Idempotency-Key``, on a route whose setting is ``legacy``. Both halves must then keep
that key in one store (the reference apps share one table), so a write the new side
committed before it failed is replayed by legacy, never applied twice. A write without
a key never falls back: the new side's answer goes out untouched.

Example:
    >>> rules = load_fallback({"fallback": {"POST /api/v1/orders": "legacy"}})
    >>> from rollout.types import RouteInfo
    >>> write = RouteInfo("POST /api/v1/orders", True, True, True, "route.post")
    >>> rules.setting(write).value, may_fall_back(write, "POST", [], rules)
    ('legacy', False)
    >>> may_fall_back(write, "POST", [(b"idempotency-key", b"k1")], rules)
    True
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from rollout.types import RouteInfo
from router_proxy.backends.base import Backend
from router_proxy.body import RequestBody
from router_proxy.errors import BackendError, BackendTimeout, ConfigError, RequestRejected
from router_proxy.types import HeaderList, Message, Scope, Send

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
# 5xx: the new side answered >= 500; timeout: no answer started in time; unavailable: the
# router could not reach it (remote: connect error, circuit open); error: it raised.
FALLBACK_HEADER = b"x-strangler-fallback"


class Fallback(StrEnum):
    LEGACY = "legacy"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FallbackRules:
    """Per route key, as set in ``[fallback]``; unset routes: ``reads`` for reads, none for
    writes."""

    routes: Mapping[str, Fallback] = field(default_factory=lambda: MappingProxyType({}))
    reads: Fallback = Fallback.LEGACY

    def setting(self, route: RouteInfo) -> Fallback:
        found = self.routes.get(route.key)
        if found is not None:
            return found
        return Fallback.NONE if route.is_write else self.reads


def load_fallback(raw: Mapping[str, Any]) -> FallbackRules:
    """The ``[fallback]`` table of strangler.toml: route key -> "legacy" | "none"."""
    table = raw.get("fallback", {})
    if not isinstance(table, Mapping):
        raise ConfigError('[fallback] must be a table of route key = "legacy" | "none"')
    routes: dict[str, Fallback] = {}
    for key, value in table.items():
        try:
            routes[key] = Fallback(value)
        except ValueError:
            raise ConfigError(f"fallback.{key!r}: 'legacy' or 'none', not {value!r}") from None
    return FallbackRules(MappingProxyType(routes))


def may_fall_back(route: RouteInfo, method: str, headers: HeaderList, rules: FallbackRules) -> bool:
    """Pure: may this request go to legacy if the new side fails it?"""
    if not route.in_legacy or rules.setting(route) is not Fallback.LEGACY:
        return False
    return method in IDEMPOTENT_METHODS or any(
        name == b"idempotency-key" and value.strip() for name, value in headers
    )


@dataclass(frozen=True, slots=True)
class FellBack:
    """Why the new side's answer was not used; ``status``: what it answered (0: nothing)."""

    reason: str
    status: int = 0


class _Watched:
    """The new side's ``send`` while it may still fail over: forwards a < 500 answer (and
    ends the deadline), holds back a 5xx one."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.committed = False  # the client has the new side's start: no way back
        self.failed_status = 0
        self.deadline: asyncio.Timeout | None = None

    async def send(self, message: Message) -> None:
        if self.failed_status:
            return  # the rest of a 5xx answer nobody will see
        if not self.committed and message["type"] == "http.response.start":
            if int(message["status"]) >= 500:
                self.failed_status = int(message["status"])
                return
            self.committed = True
            if self.deadline is not None:
                self.deadline.reschedule(None)
        await self._send(message)


async def try_new(
    new: Backend, scope: Scope, body: RequestBody, send: Send, timeout: float
) -> FellBack | None:
    """Serve from ``new``; None when its answer went out, else why legacy should answer.
    Raises what ``new`` raises once its answer has started (as without a fallback)."""
    watched = _Watched(send)
    try:
        async with asyncio.timeout(timeout) as deadline:
            watched.deadline = deadline
            await new.handle(scope, body, watched.send)
    except Exception as exc:
        # Once the start went out the request is the new side's; a rejection other than
        # the backend's is the request's fault (e.g. 413): legacy would refuse it too.
        if watched.committed or _request_fault(exc):
            raise
        return _why(exc, watched.failed_status)
    if watched.committed:
        return None
    return FellBack("5xx", watched.failed_status) if watched.failed_status else FellBack("error")


def _request_fault(exc: Exception) -> bool:
    return isinstance(exc, RequestRejected)


def _why(exc: Exception, failed_status: int) -> FellBack:
    if isinstance(exc, TimeoutError):
        return FellBack("5xx", failed_status) if failed_status else FellBack("timeout")
    if isinstance(exc, BackendError):
        return FellBack("timeout" if isinstance(exc, BackendTimeout) else "unavailable", exc.status)
    return FellBack("error")

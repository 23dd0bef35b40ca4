"""What a finished request hands on after the client has its answer: ``Served``, and the
two kinds of listener that take it (the shadow hook, the traffic sampler).

A leaf: it imports nothing of the router but its vocabulary, so the dispatcher, the shadow
runners and the recorder can all name these without importing each other.

Example:
    >>> from rollout.types import Backend, Decision
    >>> Served("r1", None, Decision(Backend.LEGACY), {}, 200).status
    200
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from rollout.types import Decision, RouteInfo
from router_proxy.capture import Captured
from router_proxy.types import Scope


@dataclass(frozen=True, slots=True)
class Served:
    """What the shadow hook (and the comparator, later) learns about a finished request."""

    request_id: str
    route: RouteInfo | None
    decision: Decision
    scope: Scope
    status: int
    body: bytes | None = None  # the request body, when it fit the shadow's limit
    response: Captured | None = None  # the primary's response as the client got it
    inflight: int = 0  # the router's other client requests in flight at hand-off


ShadowHook = Callable[[Served], Awaitable[None]]


class TrafficSampler(Protocol):
    """Picks requests to keep (``wants``, before serving: their bytes are then copied) and
    takes them once served (``offer``: never blocks, never raises)."""

    def wants(self, route: RouteInfo | None) -> bool: ...

    def offer(self, served: Served, backend: str) -> None: ...


class CountingSampler(TrafficSampler, Protocol):
    """A sampler that says what became of its samples (``/_strangler/status``)."""

    stored: int  # samples written
    dropped: int  # lost to a full queue or a failed write
    limited: int  # past a route's per-second budget

"""The vocabulary of a rollout: modes, flags, the compiled snapshot, caller context, decision.

Everything here is immutable so that a snapshot can be swapped atomically by a provider
thread while requests read it without locks.

Example:
    >>> flag = RouteFlag(mode=Mode.CANARY, percent=25)
    >>> Snapshot(routes={"GET /api/v1/me": flag}).flag_for("GET /api/v1/me").percent
    25
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType


class Mode(StrEnum):
    LEGACY = "legacy"
    SHADOW = "shadow"
    CANARY = "canary"
    NEW = "new"


class Backend(StrEnum):
    LEGACY = "legacy"
    NEW = "new"


class Stickiness(StrEnum):
    """Which caller attribute keeps a caller on one side (Unleash's names)."""

    DEFAULT = "default"  # userId, else sessionId, else random (reads only)
    USER_ID = "userId"
    SESSION_ID = "sessionId"
    RANDOM = "random"


@dataclass(frozen=True, slots=True)
class RouteFlag:
    mode: Mode = Mode.LEGACY
    percent: int = 0  # canary share, 0..100
    shadow_sample: int = 0  # share of requests mirrored to the other side, 0..100
    stickiness: Stickiness = Stickiness.DEFAULT
    group_id: str | None = None  # Unleash groupId; None means the flag name
    sandbox_writes: bool = False  # shadow writes run with the candidate's transaction rolled back
    reverse_shadow: bool = False  # in `new` mode, mirror reads to legacy


DEFAULT_FLAG = RouteFlag()
FULL_SHADOW = 100


def comparing(flag: RouteFlag) -> RouteFlag:
    """A shadow left at a 0% sample compares nothing: choosing shadow means comparing every
    request, unless a sample is set (the CLI and the dashboard both apply this).

    >>> comparing(RouteFlag(Mode.SHADOW)).shadow_sample
    100
    """
    if flag.mode is Mode.SHADOW and flag.shadow_sample == 0:
        return replace(flag, shadow_sample=FULL_SHADOW)
    return flag


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every route's flag at one moment; providers compile one and swap it in whole."""

    routes: Mapping[str, RouteFlag] = field(default_factory=lambda: MappingProxyType({}))
    kill_switch: bool = False
    source: str = "static"
    version: int = 0

    def flag_for(self, route_key: str) -> RouteFlag:
        return self.routes.get(route_key, DEFAULT_FLAG)


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """What the route table knows of one route key: who implements it and whether it writes."""

    key: str  # "GET /api/v1/orders/{order_id}"
    in_legacy: bool
    in_new: bool
    is_write: bool
    flag_name: str


@dataclass(frozen=True, slots=True)
class CallerContext:
    user_id: str | None = None  # the authenticated owner (API key owner or session user)
    session_id: str | None = None
    remote_addr: str | None = None
    sample: float = 0.0  # per-request uniform draw in [0, 100): shadow sampling, random stickiness


@dataclass(frozen=True, slots=True)
class Decision:
    primary: Backend
    shadow: Backend | None = None
    sandbox: bool = False  # the shadow copy of a write runs in sandbox mode
    reason: str = ""
    mode: Mode | None = None  # the route's mode it was decided under (None: unknown route)

"""decide(route, ctx, snapshot) -> Decision: who answers this request, and who is compared.

Pure and cheap (it runs on every request): no I/O, no locks, no allocation beyond the
Decision. The flag providers compile their state into a Snapshot; this only reads it.

Example:
    >>> from rollout.types import RouteInfo, CallerContext, Snapshot, RouteFlag, Mode
    >>> route = RouteInfo("GET /api/v1/me", True, True, False, "route.get.api.v1.me")
    >>> snapshot = Snapshot(routes={route.key: RouteFlag(mode=Mode.NEW)})
    >>> decide(route, CallerContext(), snapshot).primary
    <Backend.NEW: 'new'>
"""

from __future__ import annotations

from rollout.bucketing import in_rollout
from rollout.types import (
    Backend,
    CallerContext,
    Decision,
    Mode,
    RouteFlag,
    RouteInfo,
    Snapshot,
    Stickiness,
)

ONLY_LEGACY = {
    mode: Decision(Backend.LEGACY, reason="only legacy serves this route", mode=mode)
    for mode in Mode
}
ONLY_NEW = {
    mode: Decision(Backend.NEW, reason="only new serves this route", mode=mode) for mode in Mode
}
KILLED = {mode: Decision(Backend.LEGACY, reason="kill switch", mode=mode) for mode in Mode}
NO_STABLE_IDENTITY = Decision(
    Backend.LEGACY, reason="write without a stable identity", mode=Mode.CANARY
)
# Prebuilt answers: building a Decision and its reason per request costs a third of the budget.
CANARY_IN = Decision(Backend.NEW, reason="canary: in", mode=Mode.CANARY)
CANARY_OUT = Decision(Backend.LEGACY, reason="canary: out", mode=Mode.CANARY)
NEW = Decision(Backend.NEW, reason="new", mode=Mode.NEW)
NEW_REVERSE_SHADOW = Decision(
    Backend.NEW, Backend.LEGACY, reason="new, reverse shadow", mode=Mode.NEW
)
LEGACY_ANSWERS = {mode: Decision(Backend.LEGACY, reason=mode.value, mode=mode) for mode in Mode}
LEGACY_SHADOWED = {
    (mode, sandbox): Decision(
        Backend.LEGACY, Backend.NEW, sandbox=sandbox, reason=mode.value, mode=mode
    )
    for mode in Mode
    for sandbox in (False, True)
}


def decide(route: RouteInfo, ctx: CallerContext, snapshot: Snapshot) -> Decision:
    flag = snapshot.flag_for(route.key)
    mode = flag.mode
    if not route.in_new:
        return ONLY_LEGACY[mode]
    if not route.in_legacy:
        return ONLY_NEW[mode]
    if snapshot.kill_switch:
        return KILLED[mode]
    if mode is Mode.LEGACY or mode is Mode.SHADOW:
        return _legacy_answers(route, ctx, flag)
    if mode is Mode.NEW:
        return _new_answers(route, ctx, flag)
    return _canary(route, ctx, flag)


def _legacy_answers(route: RouteInfo, ctx: CallerContext, flag: RouteFlag) -> Decision:
    shadow = _sampled(flag, ctx) and (not route.is_write or flag.sandbox_writes)
    if not shadow:
        return LEGACY_ANSWERS[flag.mode]
    return LEGACY_SHADOWED[flag.mode, route.is_write]


def _new_answers(route: RouteInfo, ctx: CallerContext, flag: RouteFlag) -> Decision:
    # Legacy has no sandbox: a reverse shadow of a write would commit twice.
    if flag.reverse_shadow and not route.is_write and _sampled(flag, ctx):
        return NEW_REVERSE_SHADOW
    return NEW


def _canary(route: RouteInfo, ctx: CallerContext, flag: RouteFlag) -> Decision:
    value = stickiness_value(flag.stickiness, ctx, route.is_write)
    if value is None and route.is_write:
        return NO_STABLE_IDENTITY
    group = flag.group_id or route.flag_name
    return CANARY_IN if in_rollout(flag.percent, group, value) else CANARY_OUT


def stickiness_value(stickiness: Stickiness, ctx: CallerContext, is_write: bool) -> str | None:
    """The caller attribute that keeps a caller on one side; None when there is none."""
    if stickiness is Stickiness.USER_ID:
        return ctx.user_id
    if stickiness is Stickiness.SESSION_ID:
        return ctx.session_id
    if stickiness is Stickiness.DEFAULT and (ctx.user_id or ctx.session_id):
        return ctx.user_id or ctx.session_id
    if is_write:
        return None
    # Unleash's random stickiness: a fresh draw, so reads spread without an identity.
    return f"{ctx.sample:.6f}"


def _sampled(flag: RouteFlag, ctx: CallerContext) -> bool:
    return flag.shadow_sample > 0 and ctx.sample < flag.shadow_sample

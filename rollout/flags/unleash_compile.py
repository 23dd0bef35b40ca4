"""Unleash feature state (the ``/api/client/features`` payload) compiled into a Snapshot.

How a route's rollout is written in Unleash (the CLI writes it this way; the Unleash UI
can toggle it and move the rollout slider):

- flag ``route.<method>.<path parts>`` (see ``rollout.naming``), environment disabled:
  the route is ``legacy`` with no shadow (the UI's off switch is a per-route rollback);
- enabled with a ``flexibleRollout`` strategy: ``rollout`` is the canary percent,
  ``stickiness`` and ``groupId`` as in Unleash; extra strategy parameters carry what
  Unleash has no word for (all strings, as Unleash stores them):
  ``mode`` (legacy|shadow|canary|new, default ``canary``), ``shadowSample`` (0..100),
  ``sandboxWrites`` and ``reverseShadow`` (``"true"``/``"false"``);
- enabled with no strategy or a ``default`` strategy: ``new``;
- anything we cannot evaluate from a snapshot (constraints, segments, other strategy
  types, bad values): ``legacy``, and a warning. Disabled strategies are skipped.
- flag ``strangler.kill_switch`` enabled: the global kill switch is on.

Only the canary's membership is evaluated per request, with the same hash as the SDK.

Example:
    >>> feature = {"name": "route.get.api.v1.me", "enabled": True, "strategies": [
    ...     {"name": "flexibleRollout", "parameters": {"rollout": "25", "mode": "canary"}}]}
    >>> compile_features([feature]).flag_for("GET /api/v1/me").percent
    25
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from rollout.errors import RouteKeyError
from rollout.naming import KILL_SWITCH_FLAG, ROUTE_FLAG_PREFIX, route_key_for_flag
from rollout.types import Mode, RouteFlag, Snapshot, Stickiness

log = logging.getLogger(__name__)

LEGACY = RouteFlag()
ALWAYS_ON = RouteFlag(mode=Mode.NEW, percent=100)


def compile_features(
    features: Iterable[Mapping[str, Any]], source: str = "unleash", version: int = 0
) -> Snapshot:
    routes: dict[str, RouteFlag] = {}
    kill_switch = False
    for feature in features:
        name = str(feature.get("name", ""))
        if name == KILL_SWITCH_FLAG:
            kill_switch = bool(feature.get("enabled"))
        elif name.startswith(ROUTE_FLAG_PREFIX):
            try:
                routes[route_key_for_flag(name)] = route_flag(feature)
            except RouteKeyError:
                log.warning("ignoring unleash flag with an unparsable route name: %s", name)
    return Snapshot(MappingProxyType(routes), kill_switch, source, version)


def route_flag(feature: Mapping[str, Any]) -> RouteFlag:
    if not feature.get("enabled"):
        return LEGACY
    strategies = [s for s in feature.get("strategies") or [] if not s.get("disabled")]
    if not strategies:
        return ALWAYS_ON
    strategy = strategies[0]
    if strategy.get("constraints") or strategy.get("segments"):
        return _uncompilable(feature, "constraints or segments")
    if strategy.get("name") == "default":
        return ALWAYS_ON
    if strategy.get("name") != "flexibleRollout":
        return _uncompilable(feature, f"strategy {strategy.get('name')!r}")
    try:
        return flexible_rollout_flag(str(feature["name"]), strategy.get("parameters") or {})
    except (ValueError, TypeError) as exc:
        return _uncompilable(feature, str(exc))


def flexible_rollout_flag(flag_name: str, parameters: Mapping[str, Any]) -> RouteFlag:
    group_id = parameters.get("groupId") or None
    flag = RouteFlag(
        mode=Mode(parameters.get("mode", Mode.CANARY)),
        percent=int(parameters.get("rollout", 0)),
        shadow_sample=int(parameters.get("shadowSample", 0)),
        stickiness=Stickiness(parameters.get("stickiness") or Stickiness.DEFAULT),
        group_id=None if group_id == flag_name else group_id,  # the name is the default
        sandbox_writes=str(parameters.get("sandboxWrites", "false")).lower() == "true",
        reverse_shadow=str(parameters.get("reverseShadow", "false")).lower() == "true",
    )
    if not (0 <= flag.percent <= 100 and 0 <= flag.shadow_sample <= 100):
        raise ValueError("rollout and shadowSample must be 0..100")
    return flag


def strategy_parameters(flag_name: str, flag: RouteFlag) -> dict[str, str]:
    """The inverse of ``flexible_rollout_flag``: what the admin API writes."""
    return {
        "rollout": str(flag.percent),
        "stickiness": flag.stickiness.value,
        "groupId": flag.group_id or flag_name,
        "mode": flag.mode.value,
        "shadowSample": str(flag.shadow_sample),
        "sandboxWrites": str(flag.sandbox_writes).lower(),
        "reverseShadow": str(flag.reverse_shadow).lower(),
    }


def _uncompilable(feature: Mapping[str, Any], why: str) -> RouteFlag:
    log.warning("unleash flag %s served as legacy: %s", feature.get("name"), why)
    return LEGACY

"""The rollout plan in ``strangler.toml``: one ``[routes."METHOD /path"]`` table per route.

Example:
    >>> plan = parse_plan({"routes": {"GET /api/v1/me": {"mode": "canary", "percent": 25}}})
    >>> plan.flag_for("GET /api/v1/me").percent
    25
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rollout.errors import PlanError
from rollout.types import Mode, RouteFlag, Snapshot, Stickiness

FLAG_FIELDS = frozenset(RouteFlag.__slots__)


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise PlanError(f"{path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{path}: {exc}") from exc


def parse_flag(route_key: str, table: Mapping[str, Any]) -> RouteFlag:
    unknown = set(table) - FLAG_FIELDS
    if unknown:
        raise PlanError(f"routes.{route_key!r}: unknown keys {sorted(unknown)}")
    try:
        flag = RouteFlag(
            mode=Mode(table.get("mode", Mode.LEGACY)),
            percent=int(table.get("percent", 0)),
            shadow_sample=int(table.get("shadow_sample", 0)),
            stickiness=Stickiness(table.get("stickiness", Stickiness.DEFAULT)),
            group_id=table.get("group_id"),
            sandbox_writes=bool(table.get("sandbox_writes", False)),
            reverse_shadow=bool(table.get("reverse_shadow", False)),
        )
    except (ValueError, TypeError) as exc:
        raise PlanError(f"routes.{route_key!r}: {exc}") from exc
    if not (0 <= flag.percent <= 100 and 0 <= flag.shadow_sample <= 100):
        raise PlanError(f"routes.{route_key!r}: percent and shadow_sample must be 0..100")
    return flag


def parse_plan(config: Mapping[str, Any], source: str = "static") -> Snapshot:
    routes = config.get("routes", {})
    flags = config.get("flags", {})
    return Snapshot(
        routes=MappingProxyType({key: parse_flag(key, table) for key, table in routes.items()}),
        kill_switch=bool(flags.get("kill_switch", False)),
        source=source,
    )

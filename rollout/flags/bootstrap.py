"""The state a provider serves when its source is unreachable at boot: a bootstrap file.

The embedded provider's file has the layout of the plan in ``strangler.toml`` (a
``[routes."METHOD /path"]`` table per route and ``[flags] kill_switch``), as TOML or JSON
(chosen by the suffix). Without a file, or with one that does not parse, every route is
served by legacy.

Example:
    >>> fallback_snapshot(None).source
    'all-legacy'
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from rollout.errors import PlanError
from rollout.plan import load_toml, parse_plan
from rollout.types import Snapshot

log = logging.getLogger(__name__)

ALL_LEGACY = Snapshot(source="all-legacy")


def load_bootstrap(path: Path) -> Snapshot:
    """Raises PlanError when the file cannot be read or does not parse."""
    if path.suffix == ".json":
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PlanError(f"{path}: cannot read ({exc.strerror})") from exc
        except ValueError as exc:
            raise PlanError(f"{path}: not JSON ({exc})") from exc
        if not isinstance(config, dict):
            raise PlanError(f"{path}: a bootstrap file is a JSON object")
    else:
        config = load_toml(path)
    return parse_plan(config, source=f"bootstrap:{path}")


def fallback_snapshot(path: Path | None) -> Snapshot:
    """Never raises: a broken bootstrap file is logged and all-legacy serves instead."""
    if path is None:
        return ALL_LEGACY
    try:
        return load_bootstrap(path)
    except PlanError as exc:
        log.error("flag bootstrap file unusable, serving all-legacy: %s", exc)
        return ALL_LEGACY

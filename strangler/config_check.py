"""The whole of ``strangler.toml`` checked when a command reads it, not only the tables the
command happens to use: a misspelt table (``[routr]``) or key is one line naming it and,
where one is close, what was meant, instead of a setting silently ignored.

Each table is checked by the code that reads it (its own unknown-key and value errors);
this module only knows which tables exist and calls those readers.

Example:
    >>> try:
    ...     check_config({"routr": {}})
    ... except ConfigFileError as exc:
    ...     print(str(exc).split(";")[0])
    [routr]: no such table (did you mean [router]?)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

TABLES = (
    "apps",
    "compare",
    "compression",
    "dashboard",
    "fallback",
    "flags",
    "guard",
    "identity",
    "parity",
    "record_sample",
    "rollout",
    "router",
    "routes",
    "up",
)


class ConfigFileError(ValueError):
    """strangler.toml names something no reader knows, or a reader refused a value."""


def check_config(raw: Mapping[str, Any]) -> None:
    """Raises ConfigFileError with one line on the first problem found."""
    for name, value in raw.items():
        if name not in TABLES:
            close = difflib.get_close_matches(name, TABLES, n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            raise ConfigFileError(
                f"[{name}]: no such table{hint}; tables: {', '.join(TABLES)}"
            )
        if not isinstance(value, Mapping):
            raise ConfigFileError(f"{name}: a table ([{name}]), not a single value")
    from parity_tests.errors import ParityError
    from rollout.errors import RolloutError
    from router_proxy.errors import RouterError
    from strangler.deploy import DeployError

    for read in _readers():
        try:
            read(raw)
        except (RolloutError, RouterError, DeployError, ParityError, ValueError) as exc:
            raise ConfigFileError(str(exc)) from None


def _readers() -> tuple[Callable[[Mapping[str, Any]], object], ...]:
    from parity_tests.project import load_parity
    from rollout.dashboard.settings import dashboard_settings
    from rollout.evidence.compare import load_rules
    from rollout.flags.settings import flag_settings
    from rollout.guard.steps import guard_interval, parse_rollout
    from rollout.plan import parse_plan
    from router_proxy.compression import load_compression
    from router_proxy.config import load_settings
    from router_proxy.fallback import load_fallback
    from router_proxy.recorder import load_record_sample
    from strangler.deploy.settings import load_up_settings

    return (
        lambda raw: load_settings(raw, {}, {}),
        lambda raw: flag_settings(raw, {}),
        parse_plan,
        parse_rollout,
        guard_interval,
        load_fallback,
        load_record_sample,
        load_compression,
        lambda raw: load_up_settings(raw, {}),
        load_rules,
        lambda raw: dashboard_settings(raw, {}),
        lambda raw: load_parity(raw, Path()),
    )

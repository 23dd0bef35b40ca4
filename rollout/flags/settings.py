"""Which flag provider to use, from ``strangler.toml`` ``[flags]`` and the environment.

    [flags]
    provider = "embedded"                 # or "unleash", or "static" (the [routes] tables)
    bootstrap = "flags-bootstrap.json"    # optional, served when the source is down at boot
    unleash_url = "http://127.0.0.1:4242" # or UNLEASH_URL
    refresh_interval = 1                  # seconds between Unleash polls
    # tokens only from the environment: UNLEASH_CLIENT_TOKEN, UNLEASH_ADMIN_TOKEN

Example:
    >>> flag_settings({"flags": {"provider": "unleash"}}, {"UNLEASH_URL": "http://u"}).unleash_url
    'http://u'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollout.errors import PlanError
from rollout.flags.base import FlagWriter

PROVIDERS = ("embedded", "unleash", "static")
DEFAULT_UNLEASH_URL = "http://127.0.0.1:4242"


@dataclass(frozen=True, slots=True)
class FlagSettings:
    provider: str = "embedded"
    bootstrap: Path | None = None
    unleash_url: str = DEFAULT_UNLEASH_URL
    unleash_client_token: str = ""
    unleash_admin_token: str = ""
    refresh_interval: int = 1


# kill_switch is the static provider's (rollout.plan); the rest are read here.
FLAGS_KEYS = frozenset({"provider", "bootstrap", "unleash_url", "refresh_interval", "kill_switch"})


def flag_settings(
    config: Mapping[str, Any], env: Mapping[str, str], provider: str | None = None
) -> FlagSettings:
    table = config.get("flags", {})
    unknown = set(table) - FLAGS_KEYS
    if unknown:
        raise PlanError(f"[flags]: unknown keys {sorted(unknown)}")
    chosen = provider or str(table.get("provider", "embedded"))
    if chosen not in PROVIDERS:
        raise PlanError(f"flags.provider must be one of {', '.join(PROVIDERS)}, not {chosen!r}")
    bootstrap = table.get("bootstrap")
    return FlagSettings(
        provider=chosen,
        bootstrap=Path(bootstrap) if bootstrap else None,
        unleash_url=env.get("UNLEASH_URL") or str(table.get("unleash_url", DEFAULT_UNLEASH_URL)),
        unleash_client_token=env.get("UNLEASH_CLIENT_TOKEN", ""),
        unleash_admin_token=env.get("UNLEASH_ADMIN_TOKEN", ""),
        refresh_interval=_positive_int(table.get("refresh_interval", 1), "flags.refresh_interval"),
    )


def _positive_int(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PlanError(f"{name} must be a whole number of seconds, not {value!r}") from None
    if number < 1:
        raise PlanError(f"{name} must be at least 1")
    return number


def flag_writer(settings: FlagSettings, database_url: str | None) -> FlagWriter:
    """Raises PlanError when what the chosen provider needs is not configured."""
    if settings.provider == "static":
        raise PlanError("static flags are the [routes] tables of strangler.toml: edit the file")
    if settings.provider == "unleash":
        if not settings.unleash_admin_token:
            raise PlanError("UNLEASH_ADMIN_TOKEN must be set to change flags in Unleash")
        from rollout.flags.unleash_admin import UnleashAdmin

        return UnleashAdmin(settings.unleash_url, settings.unleash_admin_token)
    if not database_url:
        raise PlanError("DATABASE_URL must be set for the embedded flag provider")
    from rollout.flags.embedded import EmbeddedFlagStore

    return EmbeddedFlagStore(database_url)

"""The flag provider a router runs, built from ``[flags]`` settings (see
``rollout.flags.settings``): static (the ``[routes]`` tables), embedded (PostgreSQL +
LISTEN/NOTIFY) or Unleash (the SDK polling a server).

Example:
    >>> from rollout.flags.settings import FlagSettings
    >>> build_provider(FlagSettings(provider="static"), {}, None).health()["provider"]
    'static'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rollout.errors import MissingExtra, PlanError
from rollout.flags.base import FlagProvider
from rollout.flags.settings import FlagSettings
from rollout.plan import parse_plan


def build_provider(
    settings: FlagSettings, config: Mapping[str, Any], database_url: str | None
) -> FlagProvider:
    """Raises PlanError when what the chosen provider needs is not configured."""
    if settings.provider == "static":
        from rollout.flags.static import StaticProvider

        return StaticProvider(parse_plan(config, source="static:strangler.toml"))
    if settings.provider == "unleash":
        if not settings.unleash_client_token:
            raise PlanError("UNLEASH_CLIENT_TOKEN must be set to read flags from Unleash")
        try:
            from rollout.flags.unleash import UnleashProvider
        except ModuleNotFoundError as exc:
            raise MissingExtra("flags from Unleash", "unleash") from exc

        return UnleashProvider(
            settings.unleash_url,
            settings.unleash_client_token,
            refresh_interval=settings.refresh_interval,
            bootstrap=settings.bootstrap,
        )
    if not database_url:
        raise PlanError("DATABASE_URL must be set for the embedded flag provider")
    from rollout.flags.embedded import EmbeddedProvider

    return EmbeddedProvider(database_url, settings.bootstrap)

"""Where the router's flags come from in the end-to-end tests: the embedded store
(PostgreSQL + LISTEN/NOTIFY) or the real Unleash server, each with its write side.

``set``/``kill`` change the flag at its source and wait (at most 3 s) until every
provider built here has picked the change up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.flags.base import FlagProvider, FlagWriter
from rollout.types import RouteFlag
from tests.fixtures.rollout import wait_until


@dataclass
class FlagSource:
    name: str
    writer: FlagWriter
    make: Callable[[], FlagProvider]
    providers: list[FlagProvider] = field(default_factory=list)

    def provider(self) -> FlagProvider:
        """A new, unstarted provider: the router's lifespan starts and stops it."""
        built = self.make()
        self.providers.append(built)
        return built

    def set(self, route_key: str, flag: RouteFlag, wait: bool = True) -> None:
        self.writer.set_flag(route_key, flag, actor="tests")
        if wait:
            self._wait(lambda p: p.snapshot().flag_for(route_key) == flag)

    def kill(self, enabled: bool) -> None:
        self.writer.set_kill_switch(enabled, actor="tests")
        self._wait(lambda p: p.snapshot().kill_switch is enabled)

    def _wait(self, seen: Callable[[FlagProvider], bool]) -> None:
        running = [p for p in self.providers if p.health().get("state") != "stopped"]
        wait_until(lambda: all(seen(p) for p in running), timeout=3.0)


def embedded_source(database_url: str) -> FlagSource:
    from rollout.flags.embedded import EmbeddedFlagStore, EmbeddedProvider

    def make() -> FlagProvider:
        return EmbeddedProvider(database_url, backoff_initial=0.05, backoff_max=0.2)

    return FlagSource("embedded", EmbeddedFlagStore(database_url), make)


def unleash_source(server: Any, cache_root: Path) -> FlagSource:
    from rollout.flags.unleash import UnleashProvider
    from rollout.flags.unleash_admin import UnleashAdmin

    def make() -> FlagProvider:
        cache = cache_root / f"cache-{len(source.providers)}"
        cache.mkdir()
        return UnleashProvider(
            server.url, server.client_token, refresh_interval=1, cache_directory=cache
        )

    source = FlagSource("unleash", UnleashAdmin(server.url, server.admin_token), make)
    return source

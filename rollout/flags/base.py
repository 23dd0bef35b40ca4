"""What every flag provider offers the router, and what the writable ones offer the CLI.

The router calls ``snapshot()`` on every request, so it must be a plain attribute read:
providers refresh in the background and swap a whole new Snapshot in. ``health()`` says
where the current snapshot came from and whether the source is reachable.
"""

from __future__ import annotations

from typing import Protocol

from rollout.types import RouteFlag, Snapshot


class FlagProvider(Protocol):
    def snapshot(self) -> Snapshot: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, str]: ...


class FlagWriter(Protocol):
    """Changes flags at their source (raises ProviderError); every router picks them up."""

    def set_flag(self, route_key: str, flag: RouteFlag, actor: str = "cli") -> None: ...

    def delete_flag(self, route_key: str, actor: str = "cli") -> None:
        """The route back to unflagged (legacy); the flag is gone from the source."""
        ...

    def set_kill_switch(self, enabled: bool, actor: str = "cli") -> None: ...

    def read_state(self) -> Snapshot: ...

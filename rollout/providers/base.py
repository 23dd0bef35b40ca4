"""What every flag provider offers the router.

The router calls ``snapshot()`` on every request, so it must be a plain attribute read:
providers refresh in the background and swap a whole new Snapshot in.
"""

from __future__ import annotations

from typing import Protocol

from rollout.types import Snapshot


class FlagProvider(Protocol):
    def snapshot(self) -> Snapshot: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, str]: ...

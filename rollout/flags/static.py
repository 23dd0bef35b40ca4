"""The plan as written in ``strangler.toml``: fixed until the process restarts.

Example:
    >>> from rollout.types import Snapshot
    >>> StaticProvider(Snapshot()).snapshot().kill_switch
    False
"""

from __future__ import annotations

from pathlib import Path

from rollout.plan import load_toml, parse_plan
from rollout.types import Snapshot


class StaticProvider:
    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    @classmethod
    def from_file(cls, path: Path) -> StaticProvider:
        return cls(parse_plan(load_toml(path), source=f"static:{path}"))

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def health(self) -> dict[str, str]:
        return {"provider": "static", "state": "ok"}

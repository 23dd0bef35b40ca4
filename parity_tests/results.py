"""What a parity run found: per case a status, the mismatches, the fields found noisy.

Statuses: ``pass`` (no difference), ``accepted`` (only differences the case declares
intentional), ``fail``, ``skipped`` (a write against remote servers), ``error`` (the
harness could not run the case). ``to_json``/``from_json`` keep the last run for the
coverage map and the HTML report.

Example:
    >>> Mismatch(0, "response", "status", 200, 201, "status", False).label
    'status'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PASSING = frozenset({"pass", "accepted", "skipped"})


@dataclass(frozen=True)
class Mismatch:
    step: int
    where: str  # "response" or "rows"
    path: str  # "status", "headers.<name>", "$.<json path>", or "rows[<n>]…"
    legacy_value: Any
    new_value: Any
    kind: str
    accepted: bool = False

    @property
    def label(self) -> str:
        return self.path if self.step == 0 else f"step {self.step}: {self.path}"


@dataclass
class ParityResult:
    case_id: str
    route: str
    kind: str
    status: str
    mismatches: list[Mismatch] = field(default_factory=list)
    noisy: list[str] = field(default_factory=list)
    attempts: int = 1
    seconds: float = 0.0
    error: str = ""
    accepted_reason: str = ""
    description: str = ""

    @property
    def passed(self) -> bool:
        return self.status in PASSING

    def explain(self) -> str:
        lines = [f"{self.route} [{self.case_id}]: {self.status}"]
        lines += [
            f"  {m.label}: legacy={m.legacy_value!r} new={m.new_value!r} ({m.kind})"
            for m in self.mismatches
        ]
        if self.error:
            lines.append(f"  error: {self.error}")
        return "\n".join(lines)


def to_json(results: Sequence[ParityResult]) -> str:
    return json.dumps([asdict(result) for result in results], indent=1, default=str)


def from_json(text: str) -> list[ParityResult]:
    results = []
    for row in json.loads(text):
        row["mismatches"] = [Mismatch(**m) for m in row.get("mismatches", [])]
        results.append(ParityResult(**row))
    return results


def save(results: Sequence[ParityResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(results), encoding="utf-8")


def load(path: Path) -> list[ParityResult]:
    try:
        return from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return []

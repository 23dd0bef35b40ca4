"""Which cases and which app pair a project's parity commands use: ``[parity]`` of its
strangler.toml. Nothing defaults to this repository's reference cases or apps: a project
that names none is told, in one line, how to.

    [parity]
    cases = "parity_cases"                 # a folder of case files, relative to strangler.toml
    pair = "myproject.parity:pair"         # module:function returning an AppPair

Example:
    >>> from pathlib import Path
    >>> load_parity({"parity": {"cases": "cases"}}, Path("/p")).cases
    PosixPath('/p/cases')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity_tests.errors import ParityError

KEYS = frozenset({"cases", "pair"})


@dataclass(frozen=True, slots=True)
class ParitySettings:
    cases: Path | None = None
    pair: str = ""

    def cases_dir(self, given: Path | None) -> Path:
        """``--cases``, else ``[parity] cases``; raises ParityError when neither is set."""
        found = given or self.cases
        if found is None:
            raise ParityError("no parity cases named: [parity] cases = \"DIR\" in strangler.toml"
                              " (or --cases DIR)")  # fmt: skip
        return found

    def pair_spec(self, given: str | None) -> str:
        """``--pair``, else ``[parity] pair``; raises ParityError when neither is set."""
        found = given or self.pair
        if not found:
            raise ParityError("no app pair named: [parity] pair = \"module:function\" in"
                              " strangler.toml (or --pair)")  # fmt: skip
        return found


def load_parity(raw: Mapping[str, Any], root: Path) -> ParitySettings:
    """``root``: the folder of strangler.toml, which relative paths start from."""
    table = raw.get("parity", {})
    unknown = set(table) - KEYS
    if unknown:
        raise ParityError(f"[parity]: unknown keys {sorted(unknown)}")
    cases = table.get("cases")
    pair = table.get("pair", "")
    if (cases is not None and not isinstance(cases, str)) or not isinstance(pair, str):
        raise ParityError("[parity]: cases and pair are strings")
    return ParitySettings(root / cases if cases else None, pair)

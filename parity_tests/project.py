"""Which cases and which app pair a project's parity commands use: ``[parity]`` of its
strangler.toml. Nothing defaults to this repository's reference cases or apps: a project
that names none is told, in one line, how to.

    [parity]
    cases = "parity_cases"                 # a folder of case files, relative to strangler.toml
    legacy_db = "flask_sqlalchemy"         # where each app keeps its database handle
    new_db = "sqlalchemy_async:myapp_next.db:SessionLocal"   # (parity_tests.stacks)
    # pair = "myproject.parity:pair"       # or: module:function returning an AppPair

With ``legacy_db`` and ``new_db`` the pair is the ``[apps]`` the router serves, on
``DATABASE_URL``; ``pair`` is for apps that need building another way.

Example:
    >>> from pathlib import Path
    >>> load_parity({"parity": {"cases": "cases"}}, Path("/p")).cases
    PosixPath('/p/cases')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity_tests.errors import ParityError, TargetError
from parity_tests.pair import AppPair, load_pair
from parity_tests.stacks import LEGACY_STACKS, NEW_STACKS, Stack, parse_stack

KEYS = frozenset({"cases", "pair", "legacy_db", "new_db"})


@dataclass(frozen=True, slots=True)
class ParitySettings:
    cases: Path | None = None
    pair: str = ""
    legacy_db: Stack | None = None
    new_db: Stack | None = None

    def cases_dir(self, given: Path | None) -> Path:
        """``--cases``, else ``[parity] cases``; raises ParityError when neither is set."""
        found = given or self.cases
        if found is None:
            raise ParityError("no parity cases named: [parity] cases = \"DIR\" in strangler.toml"
                              " (or --cases DIR)")  # fmt: skip
        return found

    def app_pair(self, given: str | None, apps: Mapping[str, Any]) -> AppPair:
        """``--pair``, else ``[parity] pair``, else ``[apps]`` held per ``legacy_db``/``new_db``;
        raises ParityError (one line) when none of them is named."""
        spec = given or self.pair
        if spec:
            return load_pair(spec)
        if self.legacy_db is None or self.new_db is None:
            raise ParityError("no app pair: [parity] legacy_db and new_db (for the [apps]),"
                              " or pair = \"module:function\", or --pair")  # fmt: skip
        return apps_pair(apps, self.legacy_db, self.new_db)


def apps_pair(apps: Mapping[str, Any], legacy_db: Stack, new_db: Stack) -> AppPair:
    from router_proxy.asgi import import_app
    from router_proxy.errors import ConfigError

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        raise TargetError("DATABASE_URL is not set")
    if not apps.get("legacy") or not apps.get("new"):
        raise ParityError('[apps]: name both apps, legacy = "module:app", new = "module:app"')
    try:
        legacy, new = import_app(str(apps["legacy"])), import_app(str(apps["new"]))
    except ConfigError as exc:
        raise TargetError(str(exc)) from exc
    return AppPair(legacy, new, database_url, legacy_db, new_db)


def load_parity(raw: Mapping[str, Any], root: Path) -> ParitySettings:
    """``root``: the folder of strangler.toml, which relative paths start from."""
    table = raw.get("parity", {})
    unknown = set(table) - KEYS
    if unknown:
        raise ParityError(f"[parity]: unknown keys {sorted(unknown)}")
    cases = table.get("cases")
    strings = [table.get(key, "") for key in ("pair", "legacy_db", "new_db")]
    if (cases is not None and not isinstance(cases, str)) or not all(
        isinstance(value, str) for value in strings
    ):
        raise ParityError("[parity]: cases, pair, legacy_db and new_db are strings")
    pair, legacy_db, new_db = strings
    try:
        legacy = parse_stack(legacy_db, LEGACY_STACKS) if legacy_db else None
        new = parse_stack(new_db, NEW_STACKS) if new_db else None
    except TargetError as exc:
        raise ParityError(f"[parity]: {exc}") from exc
    return ParitySettings(root / cases if cases else None, pair, legacy, new)

"""The parity world: the committed rows every case starts from, written by the project.

The world file (``_world.json`` in the cases folder) names callers by a short alias that
case steps use in ``auth``, with the bearer token each sends (``api_key``), plus the SQL
that creates the project's rows (its users, keys, data) with explicit ids, and
``installed_if``: a query that returns a row once the world is in the database.
``install_world`` commits the SQL once, so both implementations, each in its own outer
transaction, read the same rows; everything a case does on top of it is rolled back. The
harness knows no table of any app: the rows are the project's own SQL.

Example:
    >>> world = parse_world({"owners": {"a": {"api_key": "k"}}, "sql": []}, "inline")
    >>> world.authorization("a")
    'Bearer k'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

from parity_tests.errors import CaseFileError, IsolationError

WORLD_FILE = "_world.json"


@dataclass(frozen=True)
class WorldOwner:
    api_key: str


@dataclass(frozen=True)
class World:
    owners: Mapping[str, WorldOwner]
    sql: tuple[str, ...]
    installed_if: str = ""  # empty: the SQL is idempotent and runs before every run

    def authorization(self, alias: str) -> str:
        if alias not in self.owners:
            raise CaseFileError(WORLD_FILE, f"no owner {alias!r} in the world")
        return f"Bearer {self.owners[alias].api_key}"


def load_world(directory: Path) -> World:
    path = directory / WORLD_FILE
    try:
        return parse_world(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, ValueError) as exc:
        raise CaseFileError(str(path), f"not readable as JSON ({exc})") from exc


def parse_world(data: Any, source: str) -> World:
    try:
        owners = {alias: WorldOwner(str(o["api_key"])) for alias, o in dict(data["owners"]).items()}
        sql = tuple(str(statement) for statement in data["sql"])
        return World(owners, sql, str(data.get("installed_if", "")))
    except (KeyError, TypeError, ValueError) as exc:
        raise CaseFileError(source, f"world: {exc!r}") from exc


def install_world(database_url: str, world: World) -> bool:
    """Commit the world unless it is there already; True when it was installed now."""
    try:
        conn = psycopg2.connect(database_url)
        try:
            with conn, conn.cursor() as cur:
                if _installed(cur, world):
                    return False
                for statement in world.sql:
                    cur.execute(statement)
            return True
        finally:
            conn.close()
    except psycopg2.Error as exc:
        raise IsolationError(f"could not install the parity world: {exc.pgerror or exc}") from exc


def _installed(cur: Any, world: World) -> bool:
    if not world.installed_if:
        return False
    cur.execute(world.installed_if)
    return cur.fetchone() is not None

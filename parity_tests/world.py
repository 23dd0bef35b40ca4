"""The parity world: the committed rows every case starts from (owners, accounts, payments).

The world file (``cases/_world.json``) names owners by a short alias that case steps use
in ``auth``, with their plain API keys and passwords, plus the SQL that creates their data
with explicit ids. ``install_world`` commits it once (it is idempotent) so that both
implementations, each in its own outer transaction, read the same rows; everything a
case does on top of it is rolled back.

Example:
    >>> world = parse_world({"owners": {"a": {"owner": "o", "api_key": "k", "password": "p"}},
    ...                      "sql": []}, "inline")
    >>> world.authorization("a")
    'Bearer k'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from werkzeug.security import generate_password_hash

from parity_tests.cases import CASES_DIR
from parity_tests.errors import CaseFileError, IsolationError

WORLD_FILE = "_world.json"


@dataclass(frozen=True)
class WorldOwner:
    owner: str
    api_key: str
    password: str


@dataclass(frozen=True)
class World:
    owners: Mapping[str, WorldOwner]
    sql: tuple[str, ...]

    def authorization(self, alias: str) -> str:
        if alias not in self.owners:
            raise CaseFileError(WORLD_FILE, f"no owner {alias!r} in the world")
        return f"Bearer {self.owners[alias].api_key}"


def load_world(directory: Path = CASES_DIR) -> World:
    path = directory / WORLD_FILE
    try:
        return parse_world(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, ValueError) as exc:
        raise CaseFileError(str(path), f"not readable as JSON ({exc})") from exc


def parse_world(data: Any, source: str) -> World:
    try:
        owners = {
            alias: WorldOwner(str(o["owner"]), str(o["api_key"]), str(o["password"]))
            for alias, o in dict(data["owners"]).items()
        }
        return World(owners, tuple(str(statement) for statement in data["sql"]))
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
                for owner in world.owners.values():
                    _insert_owner(cur, owner)
                for statement in world.sql:
                    cur.execute(statement)
            return True
        finally:
            conn.close()
    except psycopg2.Error as exc:
        raise IsolationError(f"could not install the parity world: {exc.pgerror or exc}") from exc


def _installed(cur: Any, world: World) -> bool:
    first = next(iter(world.owners.values()))
    cur.execute("SELECT 1 FROM api_keys WHERE key_hash = %s", (_key_hash(first.api_key),))
    return cur.fetchone() is not None


def _insert_owner(cur: Any, owner: WorldOwner) -> None:
    cur.execute(
        "INSERT INTO api_keys (key_hash, owner, label) VALUES (%s, %s, 'parity')",
        (_key_hash(owner.api_key), owner.owner),
    )
    cur.execute(
        "INSERT INTO users (username, password_hash, owner) VALUES (%s, %s, %s)",
        (owner.owner, generate_password_hash(owner.password, "pbkdf2:sha256:1000"), owner.owner),
    )


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()

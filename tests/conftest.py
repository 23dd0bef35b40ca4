"""Fixtures every test shares: a real PostgreSQL database per session, emptied per test,
and factories for owners and accounts.

The session creates its own database (``strangler_test_<pid>``) on the server that
``DATABASE_URL`` points at (``make test`` sets it: local server or embedded pgserver),
migrates it with the project's Alembic migrations, and drops it at the end. Tests that
need a clean slate take ``db``; it truncates every table, which is fast on small tables
and, unlike a rolled-back outer transaction, lets tests use real concurrent connections.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from payments_demo.schema import upgrade_all as upgrade
from payments_demo.seed import TABLES

TEST_SECRET_KEY = "test-secret-key-not-for-production"
ROUTER_SCHEMA = "strangler"
# The demo project (legacy_flask, fastapi_app, payments_demo) is this folder, not an installed
# package: the servers tests start import it from here, as strangler's own children import
# a user's project (strangler.project.enter).
ROOT = Path(__file__).resolve().parent.parent
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
)

# Shared fixtures registered once for the whole suite (see each module's docstring).
pytest_plugins = ["tests.fixtures.rollout"]


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from strangler.devenv import build_environment

    return build_environment("test", os.environ)["DATABASE_URL"]


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def empty_database(server: str, name: str) -> Iterator[str]:
    """A database ``name`` made anew on ``server`` (a URL of any database there); its URL.
    Dropped on exit, connections and all."""
    admin = psycopg2.connect(server)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {name}")
        yield _with_database(server, name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with empty_database(_server_url(), f"strangler_test_{os.getpid()}") as url:
        upgrade(url)
        previous = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("SECRET_KEY", TEST_SECRET_KEY)
        yield url
        if previous is not None:
            os.environ["DATABASE_URL"] = previous


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis: REDIS_URL is not set and nothing answers on 127.0.0.1:6379")
    return url


class Database:
    """A small synchronous handle on the test database for setup and assertions."""

    def __init__(self, url: str) -> None:
        self.url = url
        # The router's tables are in schema "strangler" (migration 0008); tests read them
        # unqualified, and what a test creates goes to public, where the apps look. The
        # router itself names its schema (its connections keep the default search path).
        self.conn = psycopg2.connect(url, options=f"-c search_path=public,{ROUTER_SCHEMA}")
        self.conn.autocommit = True

    def execute(self, sql: str, params: Any = None) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)

    def all(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.all(sql, params)
        return rows[0][0] if rows else None

    def truncate(self) -> None:
        self.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.truncate()
    yield database
    database.close()


@dataclass
class Owner:
    owner: str
    api_key: str
    username: str
    password: str
    headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def make_owner(db: Database) -> Callable[..., Owner]:
    """Create an owner with an API key and a login; returns the plain-text secrets."""

    def make(name: str | None = None, password: str = "correct horse battery") -> Owner:
        from werkzeug.security import generate_password_hash

        owner = name or f"org_{secrets.token_hex(4)}"
        api_key = f"sk_test_{secrets.token_hex(16)}"
        db.execute(
            "INSERT INTO api_keys (key_hash, owner) VALUES (%s, %s)",
            (hashlib.sha256(api_key.encode()).hexdigest(), owner),
        )
        db.execute(
            "INSERT INTO users (username, password_hash, owner) VALUES (%s, %s, %s)",
            (owner, generate_password_hash(password, method="pbkdf2:sha256:1000"), owner),
        )
        return Owner(owner, api_key, owner, password, {"Authorization": f"Bearer {api_key}"})

    return make


@pytest.fixture
def make_account(db: Database) -> Callable[..., int]:
    """Create an account with an opening deposit (and its ledger entry); returns its id."""

    def make(owner: Owner, currency: str = "EUR", balance: int = 0, status: str = "active") -> int:
        account_id = db.scalar(
            "INSERT INTO accounts (owner, currency, balance_cents, status) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (owner.owner, currency, balance, status),
        )
        if balance:
            db.execute(
                "INSERT INTO ledger_entries (account_id, amount_cents, kind, balance_after_cents)"
                " VALUES (%s, %s, 'deposit', %s)",
                (account_id, balance, balance),
            )
        return int(account_id)

    return make


def assert_money_invariants(db: Database) -> None:
    """The contract's invariants: balance == sum(ledger) and never negative, per account."""
    broken = db.all(
        "SELECT a.id, a.balance_cents, COALESCE(sum(l.amount_cents), 0) FROM accounts a "
        "LEFT JOIN ledger_entries l ON l.account_id = a.id GROUP BY a.id "
        "HAVING a.balance_cents <> COALESCE(sum(l.amount_cents), 0) OR a.balance_cents < 0"
    )
    assert broken == [], f"accounts whose balance != ledger sum: {broken}"

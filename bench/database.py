"""A seeded benchmark database beside the test ones: created, migrated and seeded once."""

from __future__ import annotations

import os

import psycopg2
from sqlalchemy.engine import make_url

from payments_demo.schema import upgrade_all as upgrade
from payments_demo.seed import Dataset, build_dataset, write_dataset

BENCH_DB = "strangler_bench"


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("bench: DATABASE_URL must be set (run through `make bench`)")
    return url


def fresh_database(name: str) -> str:
    """Drop and recreate ``name`` on the DATABASE_URL server, migrated to the head schema."""
    server = server_url()
    admin = psycopg2.connect(server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def seeded_database(
    accounts: int, payments_per_account: int, seed: int = 1, name: str = BENCH_DB
) -> tuple[str, Dataset]:
    """Recreate the bench database so every run starts from the same rows. Benches that may
    run beside another one pass a ``name`` of their own (a re-seed drops the database)."""
    url = fresh_database(name)
    data = build_dataset(accounts, seed, payments_per_account)
    write_dataset(url, data)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("ANALYZE")
    return url, data

"""Migrations run once per database at a time: two processes that start together (two
``strangler serve`` in one folder, replicas and a migrate job) both end at head."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psycopg2
import pytest
from sqlalchemy.engine import make_url


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    name = "strangler_migrate_race"
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {name}")
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def test_concurrent_upgrades_all_reach_head(fresh_database):
    # Processes, as in production (alembic's context is one per process, not per thread).
    code = "import sys; from strangler.db.migrate import upgrade; upgrade(sys.argv[1])"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, fresh_database],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    failures = [run.communicate(timeout=120)[1] for run in runs if run.wait(timeout=120)]

    assert failures == []
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        assert cur.fetchall() == [("0006",)]

"""The router's migrations: its own tables only, versioned apart from the app's Alembic
history, and run once per database at a time (two ``strangler serve`` in one folder,
replicas and a migrate job all end at head)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psycopg2
import pytest

from payments_demo.schema import upgrade as upgrade_payments
from payments_demo.schema import upgrade_all
from strangler.db.migrate import upgrade
from tests.conftest import empty_database


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    with empty_database(database_url, "strangler_migrate_race") as url:
        yield url


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
        cur.execute("SELECT version_num FROM strangler_alembic_version")
        assert cur.fetchall() == [(HEAD,)]


def _tables(url: str, schema: str = "public") -> set[str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        return {row[0] for row in cur.fetchall()}


HEAD = "0008"
ROUTER_PATH = "-c search_path=strangler,public"
ROUTER_TABLES = {
    "rollout_flags", "rollout_switches", "parity_mismatches",
    "route_windows", "route_window_totals", "guard_state", "audit_log",
    "recorded_exchanges", "guard_leader",
}  # fmt: skip


def test_router_upgrade_creates_only_the_routers_tables_and_leaves_the_apps_history(
    fresh_database,
):
    # A user's app keeps its own Alembic history in alembic_version: never read nor moved;
    # and its own tables may be named like the router's.
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        cur.execute("INSERT INTO alembic_version VALUES ('0003')")
        cur.execute("CREATE TABLE widgets (id int)")
        cur.execute("CREATE TABLE audit_log (what text)")
        cur.execute("INSERT INTO audit_log VALUES ('theirs')")

    upgrade(fresh_database)

    assert _tables(fresh_database, "strangler") == ROUTER_TABLES
    assert _tables(fresh_database) == {
        "alembic_version", "widgets", "audit_log", "strangler_alembic_version"
    }  # fmt: skip
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT what FROM public.audit_log")
        assert cur.fetchall() == [("theirs",)]
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        assert cur.fetchall() == [("0003",)]


def test_a_database_migrated_before_the_split_is_adopted_not_migrated_twice(fresh_database):
    # Before 0.2 one history held the demo's payments schema (0001) and the router's tables
    # (0002-0006).
    # (0002-0006), all in schema public.
    upgrade_payments(fresh_database)
    upgrade(fresh_database, "0006")
    old = ROUTER_TABLES - {"route_window_totals"}
    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE strangler_alembic_version")
        cur.execute("UPDATE alembic_version SET version_num = '0006'")
        for table in old:
            cur.execute(f"ALTER TABLE strangler.{table} SET SCHEMA public")
        cur.execute("ALTER FUNCTION strangler.rollout_notify_change() SET SCHEMA public")
        cur.execute("INSERT INTO public.audit_log (actor, source, action) VALUES ('a', 'cli', 'x')")

    upgrade_all(fresh_database)

    with psycopg2.connect(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT version_num FROM strangler_alembic_version")
        assert cur.fetchall() == [(HEAD,)]
        cur.execute("SELECT version_num FROM alembic_version")
        assert cur.fetchall() == [("0001",)]
        cur.execute("SELECT actor FROM strangler.audit_log")  # moved, rows and all
        assert cur.fetchall() == [("a",)]
    assert _tables(fresh_database, "strangler") == ROUTER_TABLES
    assert not old & _tables(fresh_database)


def test_the_old_fleet_counters_become_the_starting_totals(fresh_database):
    # Before 0007 the fleet totals were a second store, which counted every window too.
    upgrade(fresh_database, "0006")
    with psycopg2.connect(fresh_database, options=ROUTER_PATH) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO router_counters (process_id, route_key, name, value) VALUES"
            " ('p1', 'GET /x', 'requests.new', 10), ('retired', 'GET /x', 'requests.new', 5),"
            " ('p1', 'GET /x', 'drops.busy', 3), ('p1', 'GET /x', 'mismatches', 1)"
        )
        cur.execute(
            "INSERT INTO route_windows (route_key, backend, window_start, process_id, requests,"
            " latency_bounds_ms, latency_counts, mismatches)"
            " VALUES ('GET /x', 'new', now(), 'p1', 4, '{1}', '{4}', 1)"
        )

    upgrade(fresh_database)

    with psycopg2.connect(fresh_database, options=ROUTER_PATH) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, value FROM route_window_totals ORDER BY name")
        assert cur.fetchall() == [("drops.busy", 3), ("mismatches", 1), ("requests.new", 15)]
        cur.execute("SELECT to_regclass('router_counters')")
        assert cur.fetchone() == (None,)

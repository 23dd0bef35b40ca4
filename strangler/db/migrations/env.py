"""Alembic environment: runs migrations online against the URL the caller put in the config.

The router's tables live in their own schema, ``strangler``, so no table of the user's app
(an ``audit_log`` of theirs) can clash with one of the router's: migrations run with that
schema first on the search path, and the router's queries name it. They are versioned in
their own table, ``public.strangler_alembic_version``: the user's app may keep its own
Alembic history in ``alembic_version`` in the same database, and ``strangler db upgrade``
must neither read nor move it.

One migration run per database at a time: a session advisory lock is taken first, so two
``strangler serve`` started at once in one folder (or router replicas and a migrate job)
wait for each other, and the second finds the schema at head and does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Connection

config = context.config
MIGRATION_LOCK = 0x5354_5244_4D47  # "STRDMG": one migration run per database
VERSION_TABLE = "strangler_alembic_version"
SCHEMA = "strangler"
# Before 0.2 the router's revisions shared ``alembic_version`` with the demo's payments
# schema (revision 0001 below them): such a database is adopted, never migrated twice.
SHARED_HISTORY = frozenset({"0002", "0003", "0004", "0005", "0006"})


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "strangler.db.migrate sets sqlalchemy.url"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()  # the lock is the session's: it outlives this transaction
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        connection.execute(text(f"SET search_path TO {SCHEMA}, public"))
        adopt_shared_history(connection)
        connection.commit()  # alembic commits nothing on a connection already in a transaction
        context.configure(
            connection=connection,
            transaction_per_migration=True,
            version_table=VERSION_TABLE,
            version_table_schema="public",
        )
        with context.begin_transaction():
            context.run_migrations()


def adopt_shared_history(connection: Connection) -> None:
    """Move the router's revision out of a shared ``alembic_version`` (see SHARED_HISTORY)."""
    ours, theirs = f"public.{VERSION_TABLE}", "public.alembic_version"
    if _exists(connection, ours) or not _exists(connection, theirs):
        return
    shared = connection.execute(text(f"SELECT version_num FROM {theirs}")).scalar()
    if shared not in SHARED_HISTORY or not _exists(connection, "public.rollout_flags"):
        return
    connection.execute(text(f"CREATE TABLE {ours} (version_num varchar(32) PRIMARY KEY)"))
    connection.execute(text(f"INSERT INTO {ours} VALUES (:v)"), {"v": shared})
    connection.execute(text(f"UPDATE {theirs} SET version_num = '0001'"))


def _exists(connection: Connection, table: str) -> bool:
    found = connection.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table})
    return bool(found.scalar())


run_migrations_online()

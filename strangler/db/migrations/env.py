"""Alembic environment: runs migrations online against the URL the caller put in the config.

The router's tables are versioned in their own table, ``strangler_alembic_version``: the
user's app may keep its own Alembic history in ``alembic_version`` in the same database,
and ``strangler db upgrade`` must neither read nor move it.

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
        adopt_shared_history(connection)
        connection.commit()  # alembic commits nothing on a connection already in a transaction
        context.configure(
            connection=connection, transaction_per_migration=True, version_table=VERSION_TABLE
        )
        with context.begin_transaction():
            context.run_migrations()


def adopt_shared_history(connection: Connection) -> None:
    """Move the router's revision out of a shared ``alembic_version`` (see SHARED_HISTORY)."""
    if _exists(connection, VERSION_TABLE) or not _exists(connection, "alembic_version"):
        return
    shared = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if shared not in SHARED_HISTORY or not _exists(connection, "rollout_flags"):
        return
    connection.execute(
        text(f"CREATE TABLE {VERSION_TABLE} (version_num varchar(32) PRIMARY KEY)")
    )
    connection.execute(text(f"INSERT INTO {VERSION_TABLE} VALUES (:v)"), {"v": shared})
    connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))


def _exists(connection: Connection, table: str) -> bool:
    found = connection.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table})
    return bool(found.scalar())


run_migrations_online()

"""Alembic environment: runs migrations online against the URL the caller put in the config.

One migration run per database at a time: a session advisory lock is taken first, so two
``strangler serve`` started at once in one folder (or router replicas and a migrate job)
wait for each other, and the second finds the schema at head and does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

config = context.config
MIGRATION_LOCK = 0x5354_5244_4D47  # "STRDMG": one migration run per database


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "strangler.db.migrate sets sqlalchemy.url"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()  # the lock is the session's: it outlives this transaction
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()

"""Alembic environment of the payments schema (the demo project's own, in ``alembic_version``
as any app's history would be; the router versions its tables apart)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

config = context.config
SCHEMA_LOCK = 0x5041_594D_4E54  # "PAYMNT": one migration run per database


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "payments_demo.schema sets sqlalchemy.url"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK})
        connection.commit()
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()

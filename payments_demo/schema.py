"""The payments schema both reference apps serve, migrated by the demo project itself (as a
user's project migrates its own), beside the router's tables (``strangler db upgrade``).

Example:
    >>> from payments_demo.schema import upgrade
    >>> upgrade("postgresql://postgres@127.0.0.1:5432/test")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from alembic import command

from strangler.db.migrate import alembic_config

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url, MIGRATIONS), revision)


def upgrade_all(url: str) -> None:
    """The router's tables (``strangler db upgrade``), then the payments schema."""
    from strangler.db.migrate import upgrade as upgrade_router

    upgrade_router(url)
    upgrade(url)

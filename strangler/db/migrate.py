"""Run the router's own Alembic migrations (its flags, ledger, windows, guard and recorded
traffic; never an app's tables) against a database URL.

Example:
    >>> from strangler.db.migrate import upgrade
    >>> upgrade("postgresql://postgres@127.0.0.1:5432/test")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, migrations: Path = MIGRATIONS) -> Config:
    """``migrations``: another project's Alembic folder (the demo's payments schema)."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    # ConfigParser interpolates '%': an escaped URL survives passwords like 'p%40ss'.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def sqlalchemy_url(url: str) -> str:
    """The psycopg2 flavour of a plain ``postgresql://`` URL."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)

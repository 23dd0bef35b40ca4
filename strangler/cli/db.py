"""``strangler db``: migrate the router's own tables, print the database URL, stop the
embedded PostgreSQL. An app's own schema is the app's to migrate: never touched here."""

from __future__ import annotations

import os

import typer

from strangler.cli._common import fail, require_database_url

app = typer.Typer(no_args_is_help=True, help="The router's tables and the database it uses.")


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Create or migrate the router's tables (flags, ledger, windows, guard, recordings) in
    DATABASE_URL; versioned in strangler_alembic_version, apart from the app's history."""
    from sqlalchemy.exc import OperationalError

    from strangler.db.migrate import upgrade as run_upgrade

    try:
        run_upgrade(require_database_url(), revision)
    except OperationalError as exc:
        fail(f"DATABASE_URL: cannot connect ({str(exc.orig).strip().splitlines()[0]})")
    typer.echo(f"schema at {revision}")


@app.command()
def url() -> None:
    """Print the database URL every command uses (for psql: psql "$(strangler db url)")."""
    found = os.environ.get("DATABASE_URL")
    if not found:
        fail("no database: DATABASE_URL is unset and no embedded PostgreSQL was started"
             " here yet (strangler serve starts one under .strangler/)")  # fmt: skip
    typer.echo(found)


@app.command()
def stop() -> None:
    """Stop this project's embedded PostgreSQL (it otherwise keeps running for the next
    command); the data under .strangler/pgdata stays."""
    from strangler.devenv import STATE_DIR, stop_embedded_postgres

    pgdata = STATE_DIR / "pgdata"
    if not pgdata.is_dir():
        fail(f"no embedded PostgreSQL under {STATE_DIR} (DATABASE_URL servers are yours to stop)")
    typer.echo("stopped" if stop_embedded_postgres(pgdata) else "not running")

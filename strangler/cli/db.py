"""``strangler db``: migrate the schema, seed deterministic data, print the database URL,
stop the embedded PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from strangler.cli._common import fail, require_database_url

app = typer.Typer(no_args_is_help=True, help="Schema migrations and seed data.")


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the schema migrations (Alembic) to DATABASE_URL."""
    from sqlalchemy.exc import OperationalError

    from strangler.db.migrate import upgrade as run_upgrade

    try:
        run_upgrade(require_database_url(), revision)
    except OperationalError as exc:
        fail(f"DATABASE_URL: cannot connect ({str(exc.orig).strip().splitlines()[0]})")
    typer.echo(f"schema at {revision}")


@app.command()
def seed(
    accounts: int = typer.Option(50, min=1, help="How many accounts (10 per owner)."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same rows."),
    payments_per_account: int = typer.Option(3, min=0),
    out: Path = typer.Option(Path(".strangler/seed.json"), help="Where to write API keys."),
    reset: bool = typer.Option(False, help="Empty every table first."),
) -> None:
    """Insert deterministic owners, API keys, accounts, payments and ledger entries."""
    import psycopg2

    from strangler.db.seed import build_dataset, write_credentials, write_dataset

    data = build_dataset(accounts, seed, payments_per_account)
    try:
        write_dataset(require_database_url(), data, reset=reset)
    except psycopg2.errors.UniqueViolation:
        fail("the database already holds seed rows; run with --reset to replace them")
    write_credentials(out, data)
    typer.echo(
        f"seeded {len(data.owners)} owners, {len(data.accounts)} accounts, "
        f"{len(data.payments)} payments; API keys in {out}"
    )


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

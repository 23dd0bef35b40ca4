"""``python -m payments_demo`` (what ``make demo`` runs): migrate the router's tables and the
payments schema, seed deterministic data, print a working curl line, then serve the router
on :8000 with this repository's strangler.toml, as ``strangler serve`` would.

``python -m payments_demo seed --accounts 100 --reset`` only seeds (API keys in
``.strangler/seed.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

app = typer.Typer(add_completion=False, help=__doc__, invoke_without_command=True)
SEED_FILE = Path(".strangler/seed.json")


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise SystemExit("payments_demo: DATABASE_URL is not set (make demo sets it)")
    return url


@app.callback()
def demo(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    accounts: int = typer.Option(50),
) -> None:
    """Set up the demo database and serve the router (legacy app behind it) on :8000."""
    if ctx.invoked_subcommand is not None:
        return
    from payments_demo.schema import upgrade_all
    from strangler.cli import enter_project
    from strangler.cli.routes import read_config
    from strangler.cli.serve import run_router
    from strangler.cli.servers import Listener

    enter_project([])
    upgrade_all(_database_url())
    seed(accounts=accounts, seed_value=1, payments_per_account=3, out=SEED_FILE, reset=True)
    owner = json.loads(SEED_FILE.read_text())["owners"][0]
    typer.secho("\nTry it:", bold=True)
    typer.echo(
        f"  curl -H 'Authorization: Bearer {owner['api_key']}' "
        f"http://{host}:{port}/api/v1/accounts\n"
    )
    run_router(read_config(None), {}, Listener(host, port))


@app.command()
def seed(
    accounts: int = typer.Option(50, min=1, help="How many accounts (10 per owner)."),
    seed_value: int = typer.Option(1, "--seed", help="The same seed gives the same rows."),
    payments_per_account: int = typer.Option(3, min=0),
    out: Path = typer.Option(SEED_FILE, help="Where to write API keys."),
    reset: bool = typer.Option(False, help="Empty every table first."),
) -> None:
    """Insert deterministic owners, API keys, accounts, payments and ledger entries."""
    import psycopg2

    from payments_demo.seed import build_dataset, write_credentials, write_dataset

    data = build_dataset(accounts, seed_value, payments_per_account)
    try:
        write_dataset(_database_url(), data, reset=reset)
    except psycopg2.errors.UniqueViolation as exc:
        raise SystemExit("the database already holds seed rows; run with --reset") from exc
    write_credentials(out, data)
    typer.echo(
        f"seeded {len(data.owners)} owners, {len(data.accounts)} accounts, "
        f"{len(data.payments)} payments; API keys in {out}"
    )


if __name__ == "__main__":
    app()

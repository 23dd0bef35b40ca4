"""``strangler demo``: migrate, seed, print a working curl line, then serve the router
(in-process: the legacy app behind it, new routes as the plan says) on :8000."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from strangler.cli import db
from strangler.cli.routes import read_config
from strangler.cli.serve import run_router

SEED_FILE = Path(".strangler/seed.json")


def demo(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    accounts: int = typer.Option(50),
) -> None:
    """Set up the demo database and serve the router (legacy app behind it) on :8000."""
    db.upgrade("head")
    db.seed(accounts=accounts, seed=1, payments_per_account=3, out=SEED_FILE, reset=True)
    owner = json.loads(SEED_FILE.read_text())["owners"][0]
    typer.secho("\nTry it:", bold=True)
    typer.echo(
        f"  curl -H 'Authorization: Bearer {owner['api_key']}' "
        f"http://{host}:{port}/api/v1/accounts\n"
    )
    run_router(read_config(Path("strangler.toml")), {}, host, port)

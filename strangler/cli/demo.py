"""``strangler demo``: migrate, seed, print a working curl line and how to log in to the
dashboard, then serve the router (in-process: the legacy app behind it, the port as the
new app, flags in the embedded store, the dashboard at ``/_strangler/``) on :8000."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from strangler.cli import db
from strangler.cli.routes import read_config
from strangler.cli.serve import run_router
from strangler.cli.servers import Listener

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
    from strangler.deploy.commands import DEFAULT_LEGACY_APP, DEFAULT_NEW_APP

    # The reference migration: the only place the payments apps are the default.
    raw = read_config(None)
    reference = {"legacy": DEFAULT_LEGACY_APP, "new": DEFAULT_NEW_APP}
    raw["apps"] = {**reference, **raw.get("apps", {})}
    run_router(raw, {}, Listener(host, port))

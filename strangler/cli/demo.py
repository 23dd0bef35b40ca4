"""``strangler demo``: migrate, seed, print a working curl line and how to log in to the
dashboard, then serve the router (in-process: the legacy app behind it, the port as the
new app, flags in the embedded store, the dashboard at ``/_strangler/``) on :8000."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import typer

from strangler.cli import db
from strangler.cli.routes import read_config
from strangler.cli.serve import run_router
from strangler.cli.servers import Listener

SEED_FILE = Path(".strangler/seed.json")

TOKEN_FILE = Path(".strangler/dashboard_token")


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
    token = dashboard_token()
    os.environ["STRANGLER_DASHBOARD_TOKEN"] = token
    typer.secho("Dashboard:", bold=True)
    typer.echo(f"  http://{host}:{port}/_strangler/")
    typer.echo(f"  log in with any user name and the password {token}")
    typer.echo(
        f"  (or: curl -H 'Authorization: Bearer {token}' http://{host}:{port}/_strangler/)\n"
    )
    from strangler.deploy.commands import DEFAULT_LEGACY_APP, DEFAULT_NEW_APP

    # The reference migration: the only place the payments apps are the default.
    raw = read_config(None)
    reference = {"legacy": DEFAULT_LEGACY_APP, "new": DEFAULT_NEW_APP}
    raw["apps"] = {**reference, **raw.get("apps", {})}
    run_router(raw, {}, Listener(host, port))


def dashboard_token() -> str:
    """STRANGLER_DASHBOARD_TOKEN, else one generated once into .strangler/dashboard_token."""
    if os.environ.get("STRANGLER_DASHBOARD_TOKEN"):
        return os.environ["STRANGLER_DASHBOARD_TOKEN"]
    if not TOKEN_FILE.exists():
        TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        TOKEN_FILE.write_text(secrets.token_urlsafe(24))
        TOKEN_FILE.chmod(0o600)
    return TOKEN_FILE.read_text().strip()

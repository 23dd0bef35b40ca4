"""``strangler up``: the side-by-side deployment on one machine, supervised.

Legacy under gunicorn, the port under uvicorn, the router (remote mode) in front, and with
``--unleash`` a local Unleash server as the flag provider (default: flags in the app's
PostgreSQL, the embedded provider). Ports and worker counts come from ``strangler.toml``
``[up]``; options override them. Ctrl-C or SIGTERM drains in-flight requests and stops
everything.

Example:
    python -m strangler.devenv demo -- strangler up --router-workers 2
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from strangler.cli._common import fail, require_database_url
from strangler.cli.routes import CONFIG_OPTION, config_path, read_config

if TYPE_CHECKING:
    from strangler.deploy.commands import UnleashPlan
    from strangler.deploy.settings import UpSettings

STATE_FILE = Path(".strangler/up.json")


def up(
    config: Path | None = CONFIG_OPTION,
    unleash: bool = typer.Option(False, "--unleash", help="Run Unleash as the flag provider."),
    router_port: int | None = typer.Option(None, help="Router port (else strangler.toml)."),
    legacy_port: int | None = typer.Option(None, help="gunicorn port (else strangler.toml)."),
    new_port: int | None = typer.Option(None, help="uvicorn port (else strangler.toml)."),
    unleash_port: int | None = typer.Option(None, help="Unleash port (else strangler.toml)."),
    legacy_workers: int | None = typer.Option(None, help="gunicorn workers."),
    legacy_worker_class: str | None = typer.Option(None, help="sync or gthread."),
    new_workers: int | None = typer.Option(None, help="uvicorn workers of the port."),
    router_workers: int | None = typer.Option(None, help="uvicorn workers of the router."),
    access_log: bool | None = typer.Option(None, "--access-log/--no-access-log"),
    migrate: bool = typer.Option(True, "--migrate/--no-migrate", help="Apply the schema first."),
    state_file: Path = typer.Option(STATE_FILE, help="Where the process ids are written."),
) -> None:
    """Run legacy, new, the router and the flag provider side by side, supervised."""
    from strangler.deploy import DeployError
    from strangler.deploy.settings import load_up_settings

    raw = read_config(config)
    overrides: dict[str, Any] = {
        "router_port": router_port,
        "legacy_port": legacy_port,
        "new_port": new_port,
        "unleash_port": unleash_port,
        "legacy_workers": legacy_workers,
        "legacy_worker_class": legacy_worker_class,
        "new_workers": new_workers,
        "router_workers": router_workers,
        "access_log": access_log,
    }
    database_url = require_database_url()
    if not os.environ.get("SECRET_KEY"):
        fail("SECRET_KEY must be set (python -m strangler.devenv demo -- strangler up sets one)")
    try:
        settings = load_up_settings(raw, overrides)
        if migrate:
            _migrate(database_url)
        # Every router worker reads the same file (none found: an empty configuration).
        found = config_path(config) or Path.cwd() / "strangler.toml"
        _run(settings, raw, found, database_url, unleash, state_file)
    except DeployError as exc:
        fail(str(exc))


def _migrate(database_url: str) -> None:
    from strangler.db.migrate import upgrade

    upgrade(database_url)


def _run(
    settings: UpSettings,
    raw: dict[str, Any],
    config: Path,
    database_url: str,
    unleash: bool,
    state_file: Path,
) -> None:
    from strangler.deploy.commands import process_specs
    from strangler.deploy.supervisor import Supervisor, install_stop_handlers

    plan = _unleash_plan(database_url) if unleash else None
    specs = process_specs(settings, raw, config.resolve(), plan)
    supervisor = Supervisor(specs, state_file, liveness_seconds=settings.liveness_seconds)
    stopping = threading.Event()
    restore = install_stop_handlers(stopping)
    try:
        supervisor.start()
        supervisor.log(_banner(settings, plan is not None))
        supervisor.run_until(stopping)
        supervisor.log(f"draining (up to {settings.drain_seconds:.0f} s)")
    finally:
        supervisor.stop(settings.drain_seconds)
        restore()


def _unleash_plan(database_url: str) -> UnleashPlan:
    from sqlalchemy.engine import make_url

    from rollout.errors import UnleashUnavailable
    from strangler.deploy import StartupError
    from strangler.deploy.commands import UnleashPlan
    from strangler.unleash_local import ensure_database, ensure_installed, saved_tokens

    url = make_url(database_url).set(database="unleash").render_as_string(hide_password=False)
    try:
        ensure_installed()
        ensure_database(url)
    except UnleashUnavailable as exc:
        raise StartupError(str(exc)) from exc
    admin, client = saved_tokens(Path(os.environ.get("STRANGLER_STATE_DIR", ".strangler")))
    return UnleashPlan(url, admin, client)


def _banner(settings: UpSettings, unleash: bool) -> str:
    flags = "Unleash (tokens in .strangler/unleash-tokens.json)" if unleash else "embedded"
    return (
        f"serving on {settings.url(settings.router_port)} (legacy"
        f" {settings.legacy_workers}x{settings.legacy_worker_class}, new"
        f" {settings.new_workers}, router {settings.router_workers}; flags: {flags})."
        " Ctrl-C stops."
    )

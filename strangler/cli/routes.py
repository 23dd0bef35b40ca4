"""``strangler routes``: every route key, who implements it, its current mode, and where a
request the new side fails goes (``fallback``: "legacy", "none", or "-" for a route only
one side has; a write falls back only with an Idempotency-Key)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail

CONFIG_OPTION = typer.Option(
    None, "--config", help="The strangler.toml to read (default: found from here upward)."
)


def config_path(path: Path | None) -> Path | None:
    """``--config``, else the project's strangler.toml (from the working directory up)."""
    from strangler.project import locate

    return locate(Path.cwd(), path).config


def read_config(path: Path | None) -> dict[str, Any]:
    """strangler.toml as a dict; no strangler.toml in the project is an empty config."""
    from rollout.errors import PlanError
    from rollout.plan import load_toml

    path = config_path(path)
    if path is None:
        return {}
    try:
        return load_toml(path)
    except PlanError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


def routes(
    config: Path | None = CONFIG_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    legacy_app: str | None = typer.Option(None, help="Import string of the Flask app."),
    new_app: str | None = typer.Option(None, help="Import string of the FastAPI app."),
) -> None:
    """List the route table: key, legacy yes/no, new yes/no, current mode."""
    from rollout.errors import PlanError
    from rollout.plan import parse_plan
    from router_proxy.asgi import load_route_table
    from router_proxy.config import load_settings
    from router_proxy.errors import ConfigError
    from router_proxy.fallback import load_fallback

    raw = read_config(config)
    try:
        settings = load_settings(raw, os.environ, {"legacy_app": legacy_app, "new_app": new_app})
        table = load_route_table(settings)
        snapshot = parse_plan(raw)
        fallback = load_fallback(raw)
    except (ConfigError, PlanError) as exc:
        fail(str(exc))
    rows = [
        {
            "key": info.key,
            "legacy": info.in_legacy,
            "new": info.in_new,
            "mode": _mode(info, snapshot),
            "fallback": fallback.setting(info).value if info.in_legacy and info.in_new else "-",
            "flag": info.flag_name,
        }
        for info in table
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        _print_table(rows)
        if not settings.new_app:
            typer.echo("no new app named ([apps] new, STRANGLER_NEW_APP, --new-app): "
                       "legacy serves every route", err=True)  # fmt: skip


def _mode(info: Any, snapshot: Any) -> str:
    if not info.in_new:
        return "legacy-only"
    if not info.in_legacy:
        return "new-only"
    if snapshot.kill_switch:
        return "legacy (kill switch)"
    flag = snapshot.flag_for(info.key)
    return f"canary {flag.percent}%" if flag.mode == "canary" else str(flag.mode)


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table()
    table.add_column("route", no_wrap=True)
    for name in ("legacy", "new", "mode", "fallback"):
        table.add_column(name)
    table.add_column("flag", no_wrap=True)
    for row in rows:
        yes_no = ["yes" if row[side] else "no" for side in ("legacy", "new")]
        table.add_row(row["key"], *yes_no, row["mode"], row["fallback"], row["flag"])
    Console().print(table)

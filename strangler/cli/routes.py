"""``strangler routes``: every route key, who implements it, its current mode, and where a
request the new side fails goes (``fallback``: "legacy", "none", or "-" for a route only
one side has; a write falls back only with an Idempotency-Key)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail, mode_label

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
    from strangler.config_check import ConfigFileError, check_config

    path = config_path(path)
    if path is None:
        return {}
    try:
        raw = load_toml(path)
        check_config(raw)
    except (PlanError, ConfigFileError) as exc:
        fail(f"{path.name}: {exc}" if isinstance(exc, ConfigFileError) else str(exc))
    return raw


def route_table(
    raw: dict[str, Any], reason: str | None = None, overrides: dict[str, Any] | None = None
) -> Any:
    """The live route table, built from the apps as ``strangler serve`` builds it; one line
    naming what is missing when it cannot be (``reason``: what the table was needed for)."""
    from router_proxy.asgi import load_route_table
    from router_proxy.config import load_settings
    from router_proxy.errors import ConfigError

    try:
        return load_route_table(load_settings(raw, os.environ, overrides or {}))
    except ConfigError as exc:
        fail(f"cannot {reason} without the route table: {exc}" if reason else str(exc))


def live_flags(raw: dict[str, Any]) -> Any:
    """The flags the routers apply now, from the configured provider; strangler.toml's
    static plan (with a line on stderr) when the provider cannot be read from here."""
    from rollout.errors import RolloutError
    from rollout.flags.settings import flag_settings, flag_writer
    from rollout.plan import parse_plan

    try:
        settings = flag_settings(raw, os.environ, None)
        if settings.provider != "static":
            return flag_writer(settings, os.environ.get("DATABASE_URL")).read_state()
    except RolloutError as exc:
        typer.echo(f"live flags unavailable ({exc}): modes from strangler.toml", err=True)
    try:
        return parse_plan(raw)
    except RolloutError as exc:
        fail(str(exc))


def routes(
    config: Path | None = CONFIG_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    legacy_app: str | None = typer.Option(None, help="Import string of the Flask app."),
    new_app: str | None = typer.Option(None, help="Import string of the FastAPI app."),
) -> None:
    """List the route table: key, legacy yes/no, new yes/no, the live mode, fallback."""
    from rollout.errors import PlanError
    from router_proxy.errors import ConfigError
    from router_proxy.fallback import load_fallback

    raw = read_config(config)
    apps = {"legacy_app": legacy_app, "new_app": new_app}
    table = route_table(raw, overrides=apps)
    snapshot = live_flags(raw)
    try:
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
        if not any(info.in_new for info in table):
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
    return mode_label(flag.mode.value, flag.percent, flag.shadow_sample)


# Below this width the flag name column is left out (``--json`` always has it): the key
# columns keep their width instead of being squeezed to nothing.
FLAG_COLUMN_WIDTH = 120


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    with_flag = console.width >= FLAG_COLUMN_WIDTH
    table = Table()
    table.add_column("route", overflow="fold", min_width=20, ratio=1)
    for name in ("legacy", "new"):
        table.add_column(name, no_wrap=True, min_width=3)
    table.add_column("mode", overflow="fold", min_width=12)
    table.add_column("fallback", no_wrap=True, min_width=6)
    if with_flag:
        table.add_column("flag", overflow="fold", ratio=1)
    for row in rows:
        yes_no = ["yes" if row[side] else "no" for side in ("legacy", "new")]
        cells = [row["key"], *yes_no, row["mode"], row["fallback"]]
        table.add_row(*cells, *([row["flag"]] if with_flag else []))
    console.print(table)

"""``strangler flags``: change per-route rollout flags and the kill switch, list them.

Works against the provider in ``strangler.toml`` ``[flags] provider=`` (embedded by
default) or the one given with ``--provider``. Every running router picks a change up on
its own (LISTEN/NOTIFY for embedded, the SDK's poll for Unleash).

Example:
    strangler flags set "GET /api/v1/payments/{payment_id}" --mode canary --percent 25
"""

from __future__ import annotations

import os
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail
from strangler.cli.routes import CONFIG_OPTION, read_config

app = typer.Typer(no_args_is_help=True, help="Per-route rollout flags and the kill switch.")

PROVIDER_OPTION = typer.Option(None, "--provider", help="embedded or unleash (default: config).")


class ModeChoice(StrEnum):
    legacy = "legacy"
    shadow = "shadow"
    canary = "canary"
    new = "new"


class Switch(StrEnum):
    on = "on"
    off = "off"


@app.command("set")
def set_flag(
    route: str = typer.Argument(..., help='Route key, e.g. "GET /api/v1/me".'),
    mode: ModeChoice | None = typer.Option(None, "--mode"),
    percent: int | None = typer.Option(None, "--percent", min=0, max=100),
    shadow_sample: int | None = typer.Option(None, "--shadow-sample", min=0, max=100),
    stickiness: str | None = typer.Option(None, "--stickiness", help="default|userId|sessionId"),
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Set a route's mode, canary percent and shadow sample (unset options keep their value)."""
    from rollout.errors import RolloutError
    from rollout.naming import route_flag_name
    from rollout.types import Mode, Stickiness

    writer = _writer(provider, config)
    try:
        name = route_flag_name(route)
        current = writer.read_state().flag_for(route)
        changes: dict[str, Any] = {}
        if mode is not None:
            changes["mode"] = Mode(mode.value)
        if percent is not None:
            changes["percent"] = percent
        if shadow_sample is not None:
            changes["shadow_sample"] = shadow_sample
        if stickiness is not None:
            changes["stickiness"] = Stickiness(stickiness)
        flag = replace(current, **changes)
        writer.set_flag(route, flag, actor=_actor())
    except (RolloutError, ValueError) as exc:
        fail(str(exc))
    typer.echo(
        f"{route} ({name}): {flag.mode.value}, {flag.percent}% canary,"
        f" {flag.shadow_sample}% shadow, stickiness {flag.stickiness.value}"
    )


@app.command()
def kill(
    state: Switch = typer.Argument(..., help="on: every route to legacy; off: flags apply."),
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Turn the global kill switch on or off."""
    from rollout.errors import RolloutError

    try:
        _writer(provider, config).set_kill_switch(state is Switch.on, actor=_actor())
    except RolloutError as exc:
        fail(str(exc))
    typer.echo(f"kill switch {state.value}")


@app.command("list")
def list_flags(provider: str | None = PROVIDER_OPTION, config: Path | None = CONFIG_OPTION) -> None:
    """Show every route flag and the kill switch."""
    from rich.console import Console
    from rich.table import Table

    from rollout.errors import RolloutError
    from rollout.naming import route_flag_name

    try:
        snapshot = _writer(provider, config).read_state()
    except RolloutError as exc:
        fail(str(exc))
    table = Table(title=f"kill switch: {'ON' if snapshot.kill_switch else 'off'}")
    for column in ("route", "flag", "mode", "canary %", "shadow %", "stickiness"):
        table.add_column(column, overflow="fold")
    for key, flag in sorted(snapshot.routes.items()):
        table.add_row(
            key,
            route_flag_name(key),
            flag.mode.value,
            str(flag.percent),
            str(flag.shadow_sample),
            flag.stickiness.value,
        )
    Console().print(table)


def _writer(provider: str | None, config: Path | None) -> Any:
    """The provider's writer, audited: every change lands in the audit log (DATABASE_URL)."""
    from rollout.errors import PlanError
    from rollout.flags.audit import AuditLog
    from rollout.flags.audited import AuditedWriter
    from rollout.flags.settings import flag_settings, flag_writer

    url = os.environ.get("DATABASE_URL")
    try:
        settings = flag_settings(read_config(config), os.environ, provider)
        writer = flag_writer(settings, url)
    except PlanError as exc:
        fail(str(exc))
    if not url:
        fail("DATABASE_URL must be set: every flag change is recorded in the audit log")
    return AuditedWriter(writer, AuditLog(str(url)), source="cli")


def _actor() -> str:
    return os.environ.get("USER", "cli")

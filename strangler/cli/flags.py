"""``strangler flags``: change per-route rollout flags and the kill switch, list them.

Works against the provider in ``strangler.toml`` ``[flags] provider=`` (embedded by
default) or the one given with ``--provider``. Every running router picks a change up on
its own (LISTEN/NOTIFY for embedded, the SDK's poll for Unleash).

Example:
    strangler flags set "GET /api/v1/orders/{order_id}" --mode canary --percent 25
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
    force: bool = typer.Option(False, "--force", help="Set it for a route not deployed yet."),
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Set a route's mode, canary percent and shadow sample (unset options keep their value)."""
    from rollout.errors import RolloutError
    from rollout.types import Mode, Stickiness, comparing

    raw = read_config(config)
    key = _route_key(route, raw, force)
    writer = _writer(provider, raw)
    try:
        current = writer.read_state().flag_for(key)
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
        if mode is ModeChoice.shadow and shadow_sample is None:
            flag = comparing(flag)
        writer.set_flag(key, flag, actor=_actor())
    except (RolloutError, ValueError) as exc:
        fail(str(exc))
    typer.echo(f"{key}: {describe(flag)}")


@app.command("delete")
def delete_flag(
    route: str = typer.Argument(..., help="Route key whose flag to remove."),
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Remove a route's flag: the route goes back to legacy, as an unflagged route."""
    from rollout.errors import RolloutError
    from strangler.cli.route_keys import UnknownRouteKey, normalised

    try:
        key = normalised(route)
    except UnknownRouteKey as exc:
        fail(str(exc))
    writer = _writer(provider, read_config(config))
    try:
        if key not in writer.read_state().routes:
            fail(f"no flag stored for {key!r} (`strangler flags list` shows them)")
        writer.delete_flag(key, actor=_actor())
    except RolloutError as exc:
        fail(str(exc))
    typer.echo(f"{key}: flag deleted; the route is on legacy")


def describe(flag: Any) -> str:
    """What a flag does, in the words of its mode: only the settings that apply to it.

    >>> from rollout.types import Mode, RouteFlag
    >>> describe(RouteFlag(Mode.CANARY, percent=25, shadow_sample=10))
    'canary: 25% of callers to new, sticky by default'
    """
    from rollout.types import Mode

    if flag.mode is Mode.SHADOW:
        if flag.shadow_sample == 0:
            return "shadow at 0%: legacy answers and nothing is compared (--shadow-sample N)"
        return f"shadow: legacy answers, {flag.shadow_sample}% of requests compared with new"
    if flag.mode is Mode.CANARY:
        return f"canary: {flag.percent}% of callers to new, sticky by {flag.stickiness.value}"
    if flag.mode is Mode.NEW:
        reverse = f", {flag.shadow_sample}% compared with legacy" if flag.reverse_shadow else ""
        return f"new: every request to new{reverse}"
    return "legacy: every request to legacy"


def _route_key(route: str, raw: dict[str, Any], force: bool) -> str:
    """The key as the route table has it; with --force, only its form is checked."""
    from strangler.cli.route_keys import UnknownRouteKey, checked, normalised
    from strangler.cli.routes import route_table

    try:
        if force:
            return normalised(route)
        return checked(route, route_table(raw, reason="check the key"))
    except UnknownRouteKey as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


@app.command()
def kill(
    state: Switch = typer.Argument(..., help="on: every route to legacy; off: flags apply."),
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Turn the global kill switch on or off."""
    from rollout.errors import RolloutError

    try:
        _writer(provider, read_config(config)).set_kill_switch(state is Switch.on, actor=_actor())
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
        snapshot = _writer(provider, read_config(config)).read_state()
    except RolloutError as exc:
        fail(str(exc))
    table = Table(title=f"kill switch: {'ON' if snapshot.kill_switch else 'off'}")
    # Only what applies to each mode: a stored canary percent under "new" is not shown.
    table.add_column("route", overflow="fold", ratio=3)
    table.add_column("what applies", overflow="fold", ratio=4)
    table.add_column("flag", overflow="fold", ratio=3)
    killed = " (kill switch: legacy now)" if snapshot.kill_switch else ""
    for key, flag in sorted(snapshot.routes.items()):
        table.add_row(key, describe(flag) + killed, route_flag_name(key))
    Console().print(table)


def _writer(provider: str | None, raw: dict[str, Any]) -> Any:
    """The provider's writer, audited: every change lands in the audit log (DATABASE_URL)."""
    from rollout.errors import PlanError
    from rollout.flags.audit import AuditLog
    from rollout.flags.audited import AuditedWriter
    from rollout.flags.settings import flag_settings, flag_writer

    url = os.environ.get("DATABASE_URL")
    try:
        settings = flag_settings(raw, os.environ, provider)
        writer = flag_writer(settings, url)
    except PlanError as exc:
        fail(str(exc))
    if not url:
        fail("DATABASE_URL must be set: every flag change is recorded in the audit log")
    return AuditedWriter(writer, AuditLog(str(url)), source="cli")


def _actor() -> str:
    return os.environ.get("USER", "cli")

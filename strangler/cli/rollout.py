"""``strangler rollout``: walk a route through its ``[rollout."KEY"]`` steps by hand, next
to (or instead of) the guard: advance, pause, resume, rollback, status.

Every command writes the flag through the active provider (``[flags]``, ``--provider``),
stores the step in ``guard_state`` and records an audit event, exactly as the guard does.

Example:
    strangler rollout advance "GET /api/v1/orders/{order_id}"   # starts: shadow:500
    strangler rollout status
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail, require_database_url
from strangler.cli.routes import CONFIG_OPTION, read_config

app = typer.Typer(no_args_is_help=True, help="Rollout steps per route, with the guard.")

PROVIDER_OPTION = typer.Option(None, "--provider", help="embedded or unleash (default: config).")
ROUTE_ARGUMENT = typer.Argument(..., help='Route key, e.g. "GET /api/v1/me".')
REASON_OPTION = typer.Option(None, "--reason", help="Goes into the audit log.")


@app.command()
def advance(
    route: str = ROUTE_ARGUMENT,
    reason: str | None = REASON_OPTION,
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Start the rollout (again, after a rollback) or move to the next step now."""
    _transition("advance", route, reason, provider, config)


@app.command()
def pause(
    route: str = ROUTE_ARGUMENT,
    reason: str | None = REASON_OPTION,
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Stop the guard from moving this route (the flag stays as it is)."""
    _transition("pause", route, reason, provider, config)


@app.command()
def resume(
    route: str = ROUTE_ARGUMENT,
    reason: str | None = REASON_OPTION,
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Let the guard judge this route's current step again, from now."""
    _transition("resume", route, reason, provider, config)


@app.command()
def rollback(
    route: str = ROUTE_ARGUMENT,
    reason: str | None = REASON_OPTION,
    provider: str | None = PROVIDER_OPTION,
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Send the route back to legacy and stop its rollout."""
    _transition("rollback", route, reason, provider, config)


@app.command()
def status(
    route: str | None = typer.Argument(None, help="One route key (default: every route)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Where each planned route stands: step, status, since when, why."""
    from rich.console import Console
    from rich.table import Table

    from rollout.errors import RolloutError
    from rollout.guard.state import GuardStateStore

    plans = _plans(read_config(config))
    try:
        states = {s.route_key: s for s in GuardStateStore(require_database_url()).all()}
    except RolloutError as exc:
        fail(str(exc))
    table = Table(title="rollout")
    for column in ("route", "step", "status", "since", "reason"):
        table.add_column(column, overflow="fold")
    for key in sorted(k for k in plans.keys() | states.keys() if route in (None, k)):
        state, plan = states.get(key), plans.get(key)
        step = str(plan.steps[state.step_index]) if plan and state else "-"
        table.add_row(
            key,
            step,
            state.status.value if state else "not started",
            state.step_started.isoformat(timespec="seconds") if state else "",
            (state.reason or "") if state else "",
        )
    Console().print(table)


def _transition(
    action: str, route: str, reason: str | None, provider: str | None, config: Path | None
) -> None:
    from rollout.errors import RolloutError

    control = _control(provider, config)
    try:
        state = getattr(control, action)(route, actor=_actor(), reason=reason)
    except RolloutError as exc:
        fail(str(exc))
    step = control.plan(route).steps[state.step_index]
    typer.echo(f"{route}: {step} ({state.status.value}): {state.reason or ''}")


def _control(provider: str | None, config: Path | None) -> Any:
    from rollout.errors import PlanError
    from rollout.flags.audit import AuditLog
    from rollout.flags.audited import AuditedWriter
    from rollout.flags.settings import flag_settings, flag_writer
    from rollout.guard.control import RolloutControl
    from rollout.guard.state import GuardStateStore

    url = require_database_url()
    raw = read_config(config)
    try:
        writer = flag_writer(flag_settings(raw, os.environ, provider), url)
    except PlanError as exc:
        fail(str(exc))
    audit = AuditLog(url)
    return RolloutControl(
        _plans(raw), GuardStateStore(url), AuditedWriter(writer, audit, "cli"), audit
    )


def _plans(raw: dict[str, Any]) -> Any:
    from rollout.errors import PlanError
    from rollout.guard.steps import parse_rollout

    try:
        return parse_rollout(raw)
    except PlanError as exc:
        fail(str(exc))


def _actor() -> str:
    return os.environ.get("USER", "cli")

"""``strangler status``: per route, the mode and percent the routers serve, requests per
backend, shadow comparisons, mismatches and drops, from each router's
``/_strangler/status`` (counters are per process; several ``--url`` are summed).

Example:
    strangler status --url http://127.0.0.1:8000 --json
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import typer

from strangler.cli._common import fail

URL_OPTION = typer.Option(
    ["http://127.0.0.1:8000"], "--url", help="A router's base URL; repeat for several."
)
COUNTERS = ("comparisons", "mismatches", "skipped_writes", "compare_errors", "ledger_errors")


def status(
    url: list[str] = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show per-route rollout state and shadow results from running routers."""
    payloads = [_fetch(base) for base in url]
    merged = merge(payloads)
    if as_json:
        typer.echo(json.dumps(merged, indent=2, sort_keys=True))
    else:
        _print_table(merged)


def _fetch(base: str) -> dict[str, Any]:
    import httpx

    target = base.rstrip("/") + "/_strangler/status"
    try:
        response = httpx.get(target, timeout=5.0)
        response.raise_for_status()
        payload: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        fail(f"{target}: no status ({type(exc).__name__}: {exc})")
        raise  # unreachable: fail() exits
    return payload


def merge(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Flags from the first router (all read the same source), counters summed."""
    rows: dict[str, dict[str, Any]] = {}
    for payload in payloads:
        for row in payload.get("routes", []):
            into = rows.setdefault(row["route"], _empty_row(row))
            into["requests"] = dict(Counter(into["requests"]) + Counter(row.get("requests", {})))
            into["drops"] = dict(Counter(into["drops"]) + Counter(row.get("drops", {})))
            for name in COUNTERS:
                into[name] += int(row.get(name, 0))
    first = payloads[0] if payloads else {}
    return {
        "routers": len(payloads),
        "kill_switch": any(p.get("kill_switch", False) for p in payloads),
        "flags": first.get("flags", {}),
        "routes": [rows[key] for key in sorted(rows)],
    }


def _empty_row(row: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {
        k: row[k] for k in ("route", "mode", "percent", "shadow_sample") if k in row
    }
    return {**kept, "requests": {}, "drops": {}, **dict.fromkeys(COUNTERS, 0)}


def _print_table(merged: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    flags = merged["flags"]
    title = (
        f"{merged['routers']} router(s); flags: {flags.get('provider', '?')}"
        f" ({flags.get('state', '?')}); kill switch: {'ON' if merged['kill_switch'] else 'off'}"
    )
    table = Table(title=title)
    columns = ("route", "mode", "%", "shadow %", "legacy", "new", "compared", "mismatches", "drops")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in merged["routes"]:
        requests = row["requests"]
        table.add_row(
            row["route"],
            row.get("mode", "?"),
            str(row.get("percent", 0)),
            str(row.get("shadow_sample", 0)),
            str(requests.get("legacy", 0)),
            str(requests.get("new", 0)),
            str(row["comparisons"]),
            str(row["mismatches"]),
            str(sum(row["drops"].values())),
        )
    Console().print(table)

"""``strangler status``: per route, the mode and percent the routers serve, requests per
backend, shadow comparisons, mismatches and drops, from a router's ``/_strangler/status``.

A router with ``DATABASE_URL`` (its traffic windows) answers with the sum
over every router process, so one ``--url`` is enough; routers without one count only
themselves, and several such ``--url`` are summed. ``--per-process`` shows each
process's own as well (``retired``: routers that stopped).

Example:
    strangler status --url http://127.0.0.1:8000 --per-process
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import typer

from router_proxy.stats import PLAIN_COUNTERS as COUNTERS
from strangler.cli._common import fail, mode_label

URL_OPTION = typer.Option(
    ["http://127.0.0.1:8000"], "--url", help="A router's base URL; repeat for several."
)


def status(
    url: list[str] = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    per_process: bool = typer.Option(
        False, "--per-process", help="Also show each router process's own counters."
    ),
) -> None:
    """Show per-route rollout state and shadow results from running routers."""
    payloads = [_fetch(base, per_process) for base in url]
    merged = merge(payloads)
    if as_json:
        typer.echo(json.dumps(merged, indent=2, sort_keys=True))
        return
    _print_table(merged)
    if per_process:
        _print_processes(merged.get("processes", []))


def _fetch(base: str, per_process: bool) -> dict[str, Any]:
    import httpx

    target = base.rstrip("/") + "/_strangler/status"
    try:
        params = {"per_process": "1"} if per_process else {}
        response = httpx.get(target, params=params, timeout=5.0)
        response.raise_for_status()
        payload: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        fail(f"{target}: no status ({type(exc).__name__}: {exc})")
        raise  # unreachable: fail() exits
    return payload


def merge(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Flags from the first router (all read the same source). Counters: one fleet total
    (every fleet router answers the same sum) plus each router that counts only itself."""
    fleet = [p for p in payloads if p.get("counters") == "fleet"]
    # A router of the fleet whose store failed is already in the fleet's sum.
    alone = [
        p for p in payloads if p.get("counters") != "fleet" and not (fleet and "process_id" in p)
    ]
    rows: dict[str, dict[str, Any]] = {}
    for payload in fleet[:1] + alone:
        for row in payload.get("routes", []):
            into = rows.setdefault(row["route"], _empty_row(row))
            into["requests"] = dict(Counter(into["requests"]) + Counter(row.get("requests", {})))
            into["drops"] = dict(Counter(into["drops"]) + Counter(row.get("drops", {})))
            into["fallbacks"] = dict(Counter(into["fallbacks"]) + Counter(row.get("fallbacks", {})))
            for name in COUNTERS:
                into[name] += int(row.get(name, 0))
    first = payloads[0] if payloads else {}
    merged: dict[str, Any] = {
        "routers": len(payloads),
        "counters": "fleet" if fleet else "process",
        "kill_switch": any(p.get("kill_switch", False) for p in payloads),
        "flags": first.get("flags", {}),
        "routes": [rows[key] for key in sorted(rows)],
    }
    errors = sorted({p["fleet_error"] for p in payloads if "fleet_error" in p})
    if errors:
        merged["fleet_errors"] = errors
    if any("processes" in p for p in payloads):
        merged["processes"] = (fleet[0] if fleet else first).get("processes", [])
    return merged


def _empty_row(row: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {
        k: row[k] for k in ("route", "mode", "percent", "shadow_sample") if k in row
    }
    return {**kept, "requests": {}, "drops": {}, "fallbacks": {}, **dict.fromkeys(COUNTERS, 0)}


def _print_table(merged: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    flags = merged["flags"]
    counted = "every router process" if merged["counters"] == "fleet" else "per process, summed"
    title = (
        f"{merged['routers']} router(s), counters: {counted}; flags: {flags.get('provider', '?')}"
        f" ({flags.get('state', '?')}); kill switch: {'ON' if merged['kill_switch'] else 'off'}"
    )
    table = Table(title=title)
    # Readable at 80 columns: the route keeps a width, numbers are paired in one cell.
    table.add_column("route", overflow="fold", min_width=20, ratio=1)
    table.add_column("mode", overflow="fold", min_width=12)
    for column in ("legacy/new", "compared", "mismatches", "fallbacks", "drops"):
        table.add_column(column, overflow="fold", justify="right")
    for row in merged["routes"]:
        requests = row["requests"]
        table.add_row(
            row["route"],
            mode_label(
                str(row.get("mode", "?")), row.get("percent", 0), row.get("shadow_sample", 0)
            ),
            f"{requests.get('legacy', 0)}/{requests.get('new', 0)}",
            str(row["comparisons"]),
            str(row["mismatches"]),
            str(sum(row["fallbacks"].values())),
            str(sum(row["drops"].values())),
        )
    console = Console()
    console.print(table)
    for error in merged.get("fleet_errors", []):
        console.print(f"[yellow]fleet counters unavailable:[/] {error}")


def _print_processes(processes: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="per router process")
    table.add_column("process", overflow="fold", min_width=12)
    table.add_column("last seen", overflow="fold", min_width=10)
    table.add_column("route", overflow="fold", min_width=20, ratio=1)
    for column in ("legacy/new", "compared", "mismatches", "drops"):
        table.add_column(column, overflow="fold", justify="right")
    for process in processes:
        for key, row in sorted(process["routes"].items()):
            requests = row["requests"]
            table.add_row(
                process["process_id"],
                process.get("seen_at") or "(stopped)",
                key,
                f"{requests.get('legacy', 0)}/{requests.get('new', 0)}",
                str(row["comparisons"]),
                str(row["mismatches"]),
                str(sum(row["drops"].values())),
            )
    Console().print(table)

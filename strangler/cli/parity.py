"""``strangler parity``: run the parity cases, export a ledger mismatch, show coverage.

strangler parity run [--cases DIR] [--report report.html] [--legacy-url U --new-url U]
strangler parity export --from-ledger 42 [--auth alice] [--out DIR]
strangler parity coverage
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail, require_database_url
from strangler.cli.routes import live_flags, read_config

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
CASES_OPTION = typer.Option(None, "--cases", help="directory of case files ([parity] cases)")


def _parity(raw: dict[str, Any]) -> Any:
    """The project's ``[parity]`` (``raw``: its strangler.toml, found from here upward)."""
    from parity_tests.errors import ParityError
    from parity_tests.project import load_parity
    from strangler.cli.routes import config_path

    found = config_path(None)
    try:
        return load_parity(raw, found.parent if found else Path.cwd())
    except ParityError as exc:
        fail(str(exc))


@app.command("run")
def run(
    cases: Path | None = CASES_OPTION,
    pair: str | None = typer.Option(None, help="module:function -> AppPair ([parity] pair)"),
    report: Path | None = typer.Option(None, help="write an HTML report here"),
    legacy_url: str | None = typer.Option(None, help="remote legacy (reads only)"),
    new_url: str | None = typer.Option(None, help="remote new (reads only)"),
    noise: bool = typer.Option(True, help="run legacy twice and ignore fields that differ"),
) -> None:
    """Run every case against legacy and new; exit 1 when any case fails."""
    from rich.console import Console
    from rich.progress import Progress

    from parity_tests.cases import load_cases
    from parity_tests.errors import ParityError
    from parity_tests.harness import RunOptions
    from parity_tests.pair import AppPair, RemotePair
    from parity_tests.report import write_html
    from parity_tests.runner import run_cases

    raw = read_config(None)
    settings = _parity(raw)
    try:
        directory = settings.cases_dir(cases)
        loaded = load_cases(directory)
        target: AppPair | RemotePair
        if legacy_url and new_url:
            target = RemotePair(legacy_url, new_url)
        else:
            require_database_url()
            target = settings.app_pair(pair, raw.get("apps", {}))
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("parity", total=len(loaded))
            results = run_cases(
                loaded,
                target,
                directory,
                RunOptions(noise=noise),
                progress=lambda _: bar.advance(task),
            )
    except ParityError as exc:
        fail(str(exc))
        return
    _print_summary(results)
    if report is not None:
        write_html(results, report)
        typer.echo(f"report: {report}")
    if not all(result.passed for result in results):
        raise typer.Exit(code=1)


def _print_summary(results: list) -> None:  # type: ignore[type-arg]
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    table = Table(title="parity cases")
    for column in ("route", "case", "kind", "status", "differences"):
        table.add_column(column)
    styles = {"pass": "green", "fail": "red", "accepted": "yellow", "error": "magenta"}
    for r in results:
        table.add_row(
            r.route,
            r.case_id,
            r.kind,
            f"[{styles.get(r.status, 'white')}]{r.status}",
            ", ".join(m.label for m in r.mismatches[:4]) or r.error,
        )
    console = Console()
    console.print(table)
    totals = Counter(r.status for r in results)
    console.print(" ".join(f"{status}: {count}" for status, count in sorted(totals.items())))


@app.command("export")
def export(
    from_ledger: int = typer.Option(..., "--from-ledger", help="parity_mismatches.id"),
    auth: str | None = typer.Option(None, help="world owner alias to authenticate as"),
    out: Path | None = typer.Option(None, help="where to write the case (default: cases dir)"),
) -> None:
    """Turn a mismatch stored by the shadow comparator into a case file."""
    from parity_tests.errors import ParityError
    from parity_tests.export import export_case

    try:
        folder = out or _parity(read_config(None)).cases_dir(None)
        path = export_case(require_database_url(), from_ledger, folder, auth)
    except ParityError as exc:
        fail(str(exc))
        return
    typer.echo(str(path))


@app.command("coverage")
def coverage_command(
    cases: Path | None = CASES_OPTION,
    pair: str | None = typer.Option(None, help="module:function -> AppPair ([parity] pair)"),
) -> None:
    """Every legacy route: ported, read/write, parity cases, last result, current mode."""
    from rich.console import Console
    from rich.table import Table

    from parity_tests.cases import load_cases
    from parity_tests.coverage import coverage
    from parity_tests.errors import ParityError
    from parity_tests.results import load
    from parity_tests.runner import LAST_RUN

    raw = read_config(None)
    settings = _parity(raw)
    try:
        directory = settings.cases_dir(cases)
        require_database_url()
        apps = settings.app_pair(pair, raw.get("apps", {}))
        loaded = load_cases(directory)
    except ParityError as exc:
        fail(str(exc))
    rows = coverage(apps.legacy_app, apps.pool_root, loaded, load(LAST_RUN), _modes(raw))
    table = Table(title="migration coverage")
    for column in ("route", "ported", "kind", "cases", "last result", "mode"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.route,
            "yes" if row.ported else "no",
            row.kind,
            str(row.cases),
            row.last_result,
            row.mode,
        )
    Console().print(table)


def _modes(raw: dict[str, Any]) -> dict[str, str]:
    """Each flagged route's live mode, from the project's flag provider."""
    snapshot = live_flags(raw)
    return {key: flag.mode.value for key, flag in snapshot.routes.items()}

"""``strangler port ROUTE``: write the first draft of a route's port into a folder: a FastAPI
router module (``strangler.porting.module``) with models derived from the recorded traffic,
and parity case files from the recorded exchanges (``strangler.porting.cases``). It
refuses to overwrite anything: every file it would write must be new."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail, require_database_url
from strangler.cli.routes import CONFIG_OPTION, read_config


@dataclass(frozen=True)
class Draft:
    module: Path
    source: str
    models: list[str]
    cases: dict[Path, dict[str, Any]]

    @property
    def paths(self) -> list[Path]:
        return [self.module, *self.cases]


def port(
    route: str = typer.Argument(..., help='A route key, e.g. "GET /api/v1/orders/{order_id}".'),
    out: Path = typer.Option(Path("ported"), "--out", help="The folder to write into."),
    config: Path | None = CONFIG_OPTION,
    legacy_app: str | None = typer.Option(None, help="Legacy WSGI app (module:attr)."),
    new_app: str | None = typer.Option(None, help="New ASGI app (module:attr)."),
    cases: int = typer.Option(5, "--cases", min=0, help="At most this many parity cases."),
    auth: str | None = typer.Option(None, help="The parity world owner the cases call as."),
) -> None:
    """Draft a FastAPI port of ROUTE, with parity cases, from recorded traffic."""
    draft = build_draft(read_config(config), route, out, cases, auth, legacy_app, new_app)
    existing = [str(path) for path in draft.paths if path.exists()]
    if existing:
        fail(f"refusing to overwrite {', '.join(existing)}")
    draft.module.parent.mkdir(parents=True, exist_ok=True)
    draft.module.write_text(draft.source, encoding="utf-8")
    for path, case in draft.cases.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    _show(route, draft)


def build_draft(
    raw: dict[str, Any],
    route: str,
    out: Path,
    limit: int,
    auth: str | None,
    legacy_app: str | None = None,
    new_app: str | None = None,
) -> Draft:
    from parity_tests.cases import parse_case
    from parity_tests.errors import CaseFileError
    from rollout.errors import RecordingError
    from rollout.traffic.recordings import RecordingStore, route_shape
    from router_proxy.asgi import import_legacy_app, import_new_app
    from router_proxy.config import load_settings
    from router_proxy.errors import ConfigError
    from router_proxy.openapi import legacy_operations
    from router_proxy.routes import build_route_table
    from strangler.porting.cases import cases_from_rows
    from strangler.porting.module import function_name, router_module

    try:
        settings = load_settings(raw, os.environ, {"legacy_app": legacy_app, "new_app": new_app})
        legacy = import_legacy_app(settings)
        table = build_route_table(legacy, import_new_app(settings), settings.legacy_routes)
    except ConfigError as exc:
        fail(str(exc))
    if route not in table.routes:
        close = difflib.get_close_matches(route, list(table.routes), n=3)
        fail(f"no route {route!r}" + (f"; did you mean {' or '.join(close)}?" if close else ""))
    store = RecordingStore(require_database_url())
    try:
        rows = store.rows(route)
    except RecordingError as exc:
        fail(str(exc))
    finally:
        store.close()
    if not rows:
        fail(
            f"no recorded traffic for {route!r}: record it first ([record_sample] in "
            "strangler.toml, or strangler serve --record 100) and send it some requests"
        )
    shape = route_shape(route, rows)
    operation = legacy_operations(legacy).get(route)
    source = router_module(shape, operation.path_types if operation else {})
    compile(source, f"{function_name(route)}.py", "exec")  # a bad draft is a bug, not a file
    drafted = {}
    for case in cases_from_rows(route, rows, limit, auth):
        try:
            parse_case(case, case["id"])
        except CaseFileError as exc:
            fail(f"drafted case {case['id']} is not a valid case: {exc}")
        drafted[out / "cases" / f"{case['id']}.json"] = case
    models = [line[6:].split("(")[0] for line in source.splitlines() if line.startswith("class ")]
    return Draft(out / f"{function_name(route)}.py", source, models, drafted)


def _show(route: str, draft: Draft) -> None:
    from rich.console import Console
    from rich.tree import Tree

    tree = Tree(f"[bold]{route}[/bold]: drafted")
    module = tree.add(f"{draft.module}  (router; TODO body answers 501)")
    for name in draft.models:
        module.add(f"model {name}")
    for path, case in draft.cases.items():
        ignored = case.get("compare", {}).get("ignore", [])
        note = f"  ignores {', '.join(ignored)}" if ignored else ""
        tree.add(f"{path}  (legacy answered {case['observed']['legacy']['status']}){note}")
    Console().print(tree)

"""``strangler openapi``: one OpenAPI document for both apps (``router_proxy.openapi``), as
the router serves it at ``/_strangler/openapi.json``: the new app's operations for the
routes it serves, legacy's inferred from its url_map and the recorded traffic, each tagged
with its owner under the flags now. Validated with openapi-spec-validator before it is
written: an invalid document is an error, not a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail
from strangler.cli.routes import CONFIG_OPTION, read_config


def openapi(
    config: Path | None = CONFIG_OPTION,
    out: Path | None = typer.Option(
        None, "--out", help="Write the document here and print a summary (default: stdout)."
    ),
    legacy_app: str | None = typer.Option(None, help="Legacy WSGI app (module:attr)."),
    new_app: str | None = typer.Option(None, help="New ASGI app (module:attr)."),
    flags: str | None = typer.Option(
        None, "--flags", help="Flag provider: static, embedded or unleash (default: [flags])."
    ),
) -> None:
    """Print (or write) the merged OpenAPI document of legacy and new."""
    document = build_document(
        read_config(config), {"legacy_app": legacy_app, "new_app": new_app}, flags
    )
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    _summary(document, out)


def build_document(
    raw: dict[str, Any], overrides: dict[str, Any], flags: str | None
) -> dict[str, Any]:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    from rollout.errors import PlanError
    from router_proxy.asgi import build_router
    from router_proxy.errors import ConfigError

    try:
        router = build_router(raw, os.environ, overrides, flags)
    except (ConfigError, PlanError) as exc:
        fail(str(exc))
    assert router.merged_docs is not None
    router.provider.start()
    try:
        document = router.merged_docs.document()
    finally:
        router.provider.stop()
        if router.merged_docs.store is not None:
            router.merged_docs.store.close()
    try:
        validate(document)
    except OpenAPIValidationError as exc:
        fail(f"the merged document does not validate: {exc.message}")
    return document


def _summary(document: dict[str, Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{out}: OpenAPI {document['openapi']}")
    for column in ("route", "owner", "described by", "recorded", "answers"):
        table.add_column(column)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            recorded = operation.get("x-strangler-recorded")
            table.add_row(
                f"{method.upper()} {path}",
                operation["x-strangler-owner"],
                operation["x-strangler-source"],
                "-" if recorded is None else str(recorded),
                " ".join(operation.get("responses", {})),
            )
    Console().print(table)

"""``strangler serve``: the router under uvicorn, in-process (default) or ``--remote``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail, require_database_url
from strangler.cli.routes import CONFIG_OPTION, read_config


def serve(
    config: Path = CONFIG_OPTION,
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    remote: bool = typer.Option(False, "--remote", help="Proxy to running HTTP backends."),
    legacy_url: str | None = typer.Option(None, help="Legacy upstream (gunicorn), remote mode."),
    new_url: str | None = typer.Option(None, help="New upstream (uvicorn), remote mode."),
    legacy_app: str | None = typer.Option(None, help="Import string of the Flask app."),
    new_app: str | None = typer.Option(None, help="Import string of the FastAPI app."),
    wsgi_threads: int | None = typer.Option(None, help="Legacy worker threads (in-process)."),
    flags: str | None = typer.Option(
        None, "--flags", help="Flag provider: static, embedded or unleash (default: [flags])."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Router worker processes."),
) -> None:
    """Serve legacy and new behind one ASGI entrypoint."""
    overrides = {
        "mode": "remote" if remote else None,
        "legacy_url": legacy_url,
        "new_url": new_url,
        "legacy_app": legacy_app,
        "new_app": new_app,
        "wsgi_threads": wsgi_threads,
    }
    run_router(read_config(config), overrides, host, port, flags, workers)


def run_router(
    raw: dict[str, Any],
    overrides: dict[str, Any],
    host: str,
    port: int,
    flags: str | None = None,
    workers: int = 1,
) -> None:
    import uvicorn

    from rollout.errors import PlanError
    from router_proxy import logs
    from router_proxy.asgi import build_router
    from router_proxy.errors import ConfigError
    from router_proxy.tracing import traced

    use_a_database()
    try:
        app = build_router(raw, os.environ, overrides, flags)
    except (ConfigError, PlanError) as exc:
        fail(str(exc))
    logs.configure()
    flag_source = app.provider.health().get("provider", "?")
    typer.echo(
        f"router ({app.settings.mode}, flags: {flag_source}) on http://{host}:{port}", err=True
    )
    # proxy_headers off: the router resolves X-Forwarded-For itself, from trusted proxies only.
    options: dict[str, Any] = {"lifespan": "on", "proxy_headers": False, "log_level": "info"}
    if workers > 1:
        _prepare_workers(raw, overrides, flags)
        target = "router_proxy.serving:create_app"
        uvicorn.run(target, host=host, port=port, factory=True, workers=workers, **options)
    else:
        uvicorn.run(traced(app), host=host, port=port, **options)


def use_a_database() -> None:
    """``DATABASE_URL`` if set (a malformed one stops here, with one line); else the
    embedded PostgreSQL under ``.strangler/`` that ``make demo`` uses, started and
    migrated, so a first try on one's own app needs no setup."""
    from strangler.devenv import STATE_DIR, build_environment

    if os.environ.get("DATABASE_URL") and not _is_embedded(os.environ["DATABASE_URL"]):
        require_database_url()
        return
    from sqlalchemy.exc import SQLAlchemyError

    from strangler.db.migrate import upgrade

    os.environ.update(build_environment("demo", os.environ, quiet=True))
    try:
        upgrade(os.environ["DATABASE_URL"])
    except SQLAlchemyError as exc:
        fail(f"the embedded PostgreSQL under {STATE_DIR}/pgdata did not migrate ({exc})")
    typer.echo(
        f"strangler: no DATABASE_URL: flags, ledger and audit in the embedded PostgreSQL "
        f"under {STATE_DIR}/pgdata",
        err=True,
    )


def _is_embedded(url: str) -> bool:
    from strangler.devenv import STATE_DIR

    return str((STATE_DIR / "pgdata").resolve()) in url


def _prepare_workers(raw: dict[str, Any], overrides: dict[str, Any], flags: str | None) -> None:
    """Each worker builds its own router from the environment; metrics from every worker
    meet in one fresh prometheus-client multiprocess directory."""
    import tempfile

    from router_proxy.metrics import MULTIPROC_ENV
    from router_proxy.serving import SERVE_ENV, serve_payload

    os.environ[SERVE_ENV] = serve_payload(raw, overrides, flags)
    if not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="strangler-metrics-")

"""``strangler serve``: the router under uvicorn (or granian, ``--http2``), in-process
(default) or ``--remote``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from strangler.cli._common import fail, require_database_url
from strangler.cli.routes import CONFIG_OPTION, read_config
from strangler.cli.servers import Listener


def serve(
    config: Path | None = CONFIG_OPTION,
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    remote: bool = typer.Option(False, "--remote", help="Proxy to running HTTP backends."),
    legacy_url: str | None = typer.Option(None, help="Legacy upstream (gunicorn), remote mode."),
    new_url: str | None = typer.Option(None, help="New upstream (uvicorn), remote mode."),
    legacy_app: str | None = typer.Option(None, help="Import string of the Flask app."),
    new_app: str | None = typer.Option(None, help="Import string of the FastAPI app."),
    wsgi_threads: int | None = typer.Option(None, help="Legacy worker threads (in-process)."),
    pool_wait: float | None = typer.Option(
        None,
        "--pool-wait",
        min=0,
        help="Seconds a request waits for a legacy thread before 503 (0: queue, as gunicorn).",
    ),
    max_body_bytes: int | None = typer.Option(
        None, "--max-body-bytes", min=0, help="413 past this many bytes (default 0: no limit)."
    ),
    copy_max_body_bytes: int | None = typer.Option(
        None,
        "--copy-max-body-bytes",
        min=0,
        help="Bodies kept for shadow, recorder and fallback up to this size (256 KiB).",
    ),
    flags: str | None = typer.Option(
        None, "--flags", help="Flag provider: static, embedded or unleash (default: [flags])."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Router worker processes."),
    compress: bool | None = typer.Option(
        None, "--compress/--no-compress", help="gzip/brotli answers (default: [compression])."
    ),
    record: float | None = typer.Option(
        None,
        "--record",
        min=0,
        max=100,
        help="Record this percent of every route's traffic (default: [record_sample]).",
    ),
    http2: bool = typer.Option(
        False, "--http2", help="HTTP/2 beside HTTP/1.1 (granian): h2 over TLS, h2c in clear."
    ),
    certfile: Path | None = typer.Option(None, help="TLS certificate chain (PEM): https."),
    keyfile: Path | None = typer.Option(None, help="TLS private key (PEM)."),
) -> None:
    """Serve legacy and new behind one ASGI entrypoint."""
    raw = read_config(config)
    if compress is not None:
        raw = {**raw, "compression": {**raw.get("compression", {}), "enabled": compress}}
    if record is not None:
        raw = {**raw, "record_sample": {**raw.get("record_sample", {}), "*": record}}
    overrides = {
        "mode": "remote" if remote else None,
        "legacy_url": legacy_url,
        "new_url": new_url,
        "legacy_app": legacy_app,
        "new_app": new_app,
        "wsgi_threads": wsgi_threads,
        "pool_wait_seconds": pool_wait,
        "max_body_bytes": max_body_bytes,
        "shadow_max_body_bytes": copy_max_body_bytes,
    }
    if (certfile is None) != (keyfile is None):
        fail("--certfile and --keyfile go together")
    listener = Listener(host, port, workers, http2, certfile, keyfile)
    run_router(raw, overrides, listener, flags)


def run_router(
    raw: dict[str, Any],
    overrides: dict[str, Any],
    listener: Listener,
    flags: str | None = None,
) -> None:
    from rollout.errors import PlanError
    from router_proxy import logs
    from router_proxy.asgi import build_router
    from router_proxy.errors import ConfigError
    from router_proxy.serving import entrypoint
    from strangler.cli.dashboard_login import ensure_login, login_lines
    from strangler.cli.servers import run_granian, run_uvicorn
    from strangler.devenv import STATE_DIR

    use_a_database()
    token = ensure_login(raw, STATE_DIR)
    try:
        router = build_router(raw, os.environ, overrides, flags)
        app = entrypoint(router, raw)
    except (ConfigError, PlanError) as exc:
        fail(str(exc))
    logs.configure()
    flag_source = router.provider.health().get("provider", "?")
    protocols = "HTTP/2 and HTTP/1.1" if listener.http2 else "HTTP/1.1"
    typer.echo(
        f"router ({router.settings.mode}, flags: {flag_source}, {protocols}) on {listener.url}",
        err=True,
    )
    for line in login_lines(listener.url, raw, token):
        typer.echo(line, err=True)
    if listener.in_worker_processes:
        _prepare_workers(raw, overrides, flags, listener.workers)
    if listener.http2:
        run_granian(listener)
    else:
        run_uvicorn(app, listener)


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


def _prepare_workers(
    raw: dict[str, Any], overrides: dict[str, Any], flags: str | None, workers: int
) -> None:
    """Each worker builds its own router from the environment; metrics from several
    workers meet in one fresh prometheus-client multiprocess directory."""
    import tempfile

    from router_proxy.metrics import MULTIPROC_ENV
    from router_proxy.serving import SERVE_ENV, serve_payload

    os.environ[SERVE_ENV] = serve_payload(raw, overrides, flags)
    if workers > 1 and not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="strangler-metrics-")

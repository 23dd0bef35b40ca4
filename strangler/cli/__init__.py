"""The ``strangler`` command. Each command group lives in its own module and imports lazily,
so ``strangler --help`` stays fast and a group's heavy dependencies load only when used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from strangler.cli import (
    db,
    flags,
    init,
    openapi,
    parity,
    port,
    rollout,
    routes,
    serve,
    status,
    up,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(db.app, name="db")
app.add_typer(flags.app, name="flags")
app.add_typer(parity.app, name="parity")
app.add_typer(rollout.app, name="rollout")
app.command("init")(init.init)
app.command("openapi")(openapi.openapi)
app.command("port")(port.port)
app.command("routes")(routes.routes)
app.command("serve")(serve.serve)
app.command("status")(status.status)
app.command("up")(up.up)


# Commands that must not start the embedded PostgreSQL (stopping it, writing a config).
NO_DATABASE = (["db", "stop"], ["init"])


def main() -> None:
    argv = sys.argv[1:]
    enter_project(argv)
    if not any(argv[: len(command)] == command for command in NO_DATABASE):
        use_demo_environment()
    app()


def enter_project(argv: list[str]) -> None:
    """The project around the working directory (or of ``--config``): its folder importable,
    its ``.strangler/`` the state every command uses (``strangler.project``)."""
    from strangler.project import enter, locate

    enter(locate(Path.cwd(), _config_argument(argv)), os.environ)


def _config_argument(argv: list[str]) -> Path | None:
    for index, argument in enumerate(argv):
        if argument == "--config" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if argument.startswith("--config="):
            return Path(argument.removeprefix("--config="))
    return None


def use_demo_environment() -> None:
    """After `make demo`, `strangler ...` finds the demo's embedded PostgreSQL by itself."""
    from strangler.devenv import STATE_DIR

    if os.environ.get("DATABASE_URL") or not (STATE_DIR / "pgdata").is_dir():
        return
    from strangler.devenv import build_environment

    os.environ.update(build_environment("demo", os.environ, quiet=True))

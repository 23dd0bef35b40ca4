"""The ``strangler`` command. Each command group lives in its own module and imports lazily,
so ``strangler --help`` stays fast and a group's heavy dependencies load only when used.
"""

from __future__ import annotations

import typer

from strangler.cli import db, demo, flags, parity, routes, serve, status

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(db.app, name="db")
app.add_typer(flags.app, name="flags")
app.add_typer(parity.app, name="parity")
app.command("demo")(demo.demo)
app.command("routes")(routes.routes)
app.command("serve")(serve.serve)
app.command("status")(status.status)


def main() -> None:
    app()

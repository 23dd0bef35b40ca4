"""Helpers every command group shares: configuration errors as one clear line."""

from __future__ import annotations

import os
from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    typer.secho(f"strangler: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def require_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://", "postgresql+")):
        fail("DATABASE_URL must be set to a postgresql:// URL")
    return url

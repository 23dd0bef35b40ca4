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


def mode_label(mode: str, percent: int, shadow_sample: int) -> str:
    """A route's mode in one short cell: the percent that applies to it, if any.

    >>> mode_label("canary", 25, 10), mode_label("new", 25, 10)
    ('canary 25%', 'new')
    """
    if mode == "canary":
        return f"canary {percent}%"
    if mode == "shadow":
        return f"shadow {shadow_sample}%"
    return mode

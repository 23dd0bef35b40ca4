"""Where each app keeps its database handle, per stack, so the harness can hold one connection
in an outer transaction and turn every transaction the app starts into a savepoint.

Legacy (a Flask app, synchronous):

- ``flask_sqlalchemy``: Flask-SQLAlchemy's ``db`` (found in ``app.extensions``); its
  ``db.session`` and every session it makes join the held connection.
- ``sessionmaker:WHERE``: a plain SQLAlchemy ``sessionmaker`` or ``scoped_session`` bound to
  an engine.

New (an ASGI app, asynchronous):

- ``sqlalchemy_async:WHERE``: an ``async_sessionmaker`` of SQLAlchemy 2 bound to an
  ``AsyncEngine``; sessions it makes join the held connection.
- ``asyncpg_pool:WHERE``: an asyncpg pool the app acquires connections from; every
  ``acquire()`` yields the held connection, whose ``transaction()`` blocks then nest.

``WHERE`` is ``module:attribute`` (``myapp.db:Session``) or an attribute path from the app
object (``state.pool``, ``extensions.db.factory``; mapping keys too). What the app does
outside these handles (its own ``engine.begin()``, a second pool) is not held: it commits.

Example:
    >>> parse_stack("sessionmaker:myapp.db:Session", LEGACY_STACKS)
    Stack(kind='sessionmaker', where='myapp.db:Session')
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from parity_tests.errors import IsolationError, TargetError

LEGACY_STACKS = ("flask_sqlalchemy", "sessionmaker")
NEW_STACKS = ("sqlalchemy_async", "asyncpg_pool")
NEEDS_WHERE = frozenset({"sessionmaker", "sqlalchemy_async", "asyncpg_pool"})


@dataclass(frozen=True, slots=True)
class Stack:
    kind: str
    where: str = ""


def parse_stack(text: str, allowed: tuple[str, ...]) -> Stack:
    """``kind`` or ``kind:where``; raises TargetError naming the stacks this side knows."""
    kind, _, where = text.partition(":")
    if kind not in allowed:
        raise TargetError(f"unknown database stack {kind!r}: one of {', '.join(allowed)}")
    if kind in NEEDS_WHERE and not where:
        raise TargetError(f"{kind} needs where its handle is: {kind}:module:attribute")
    return Stack(kind, where)


def resolve(root: Any, path: str) -> Any:
    """``resolve(app, "extensions.legacy_db.factory")``: attributes, then mapping keys."""
    value = root
    for name in path.split("."):
        value = value[name] if isinstance(value, dict) else getattr(value, name)
    return value


def locate(root: Any, where: str) -> Any:
    """The handle ``where`` names: ``module:attribute``, else a path from ``root``."""
    try:
        if ":" in where:
            module, _, attribute = where.partition(":")
            return resolve(importlib.import_module(module), attribute)
        return resolve(root, where)
    except (ImportError, AttributeError, KeyError, TypeError) as exc:
        raise IsolationError(f"no database handle at {where!r}: {exc!r}") from exc


def replace(root: Any, where: str, new: Any) -> Any:
    """Put ``new`` where ``where`` points; returns what was there (to put back)."""
    if ":" in where:
        module, _, path = where.partition(":")
        root, where = importlib.import_module(module), path
    parent_path, _, name = where.rpartition(".")
    parent = resolve(root, parent_path) if parent_path else root
    old = getattr(parent, name)
    setattr(parent, name, new)
    return old

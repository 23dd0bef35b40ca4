"""The database handle of the legacy app: one engine, one ``scoped_session`` per request.

``init_db(app, settings)`` binds both to the app and removes the request's session in
teardown, so a connection never outlives its request. ``claim_session()`` gives a
separate short-lived session for work that must commit on its own (the idempotency claim).

Example:
    >>> from legacy_flask.db import request_session
    >>> callable(request_session)
    True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from legacy_flask.config import Settings

EXTENSION = "legacy_db"
CONNECT_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: scoped_session[Session]
    factory: sessionmaker[Session]


def init_db(app: Flask, settings: Settings) -> Database:
    engine = create_engine(
        settings.sqlalchemy_url,
        pool_pre_ping=True,
        # SQLAlchemy errors print their statement's parameters (payloads) otherwise, and
        # a logged 500 carries them into the log (A19)
        hide_parameters=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    database = Database(engine, scoped_session(factory), factory)
    app.extensions[EXTENSION] = database
    app.teardown_appcontext(_remove_session)
    return database


def _remove_session(_exc: BaseException | None) -> None:
    current_database().sessions.remove()


def current_database() -> Database:
    database: Database = current_app.extensions[EXTENSION]
    return database


def request_session() -> Session:
    """The current request's session (created on first use)."""
    return current_database().sessions()


@contextmanager
def own_transaction() -> Iterator[Session]:
    """A session outside the request's, committed on success, rolled back on error."""
    session = current_database().factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()

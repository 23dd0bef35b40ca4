"""The legacy payments API: Flask 3, SQLAlchemy ORM over psycopg2, served by gunicorn.

Example:
    >>> from legacy_flask import create_app
    >>> callable(create_app)
    True
"""

from __future__ import annotations

from legacy_flask.app import create_app

__all__ = ["create_app"]

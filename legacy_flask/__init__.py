"""The legacy payments API: Flask 3, SQLAlchemy ORM over psycopg2, served by gunicorn: the
"legacy" side of the reference migration, standing for the user's own Flask app.

Use it as the app the router mounts by import string (``legacy_flask.wsgi:app``) or that
gunicorn serves (``gunicorn_conf``); ``create_app`` builds it, ``blueprints/`` hold the
endpoints. It knows nothing of the router, the port or the flags.

Example:
    >>> from legacy_flask import create_app
    >>> callable(create_app)
    True
"""

from __future__ import annotations

from legacy_flask.app import create_app

__all__ = ["create_app"]

"""The WSGI entry point of the legacy app, ``legacy_flask.wsgi:app``.

Serve it with ``gunicorn --config python:legacy_flask.gunicorn_conf legacy_flask.wsgi:app``.

Bad configuration prints one line naming the variable and exits 2 (no traceback).
"""

from __future__ import annotations

from flask import Flask

from legacy_flask.app import create_app
from legacy_flask.startup import app_import_exit_code, exit_on_config_error

app: Flask = exit_on_config_error(create_app, app_import_exit_code())

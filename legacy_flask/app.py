"""The application factory of the legacy payments API.

Example:
    >>> app = create_app({"DATABASE_URL": "postgresql://127.0.0.1/test",
    ...                   "SECRET_KEY": "0123456789abcdef"})
    >>> app.url_map.strict_slashes
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from legacy_flask.blueprints import accounts, ops, payments, session, transfers
from legacy_flask.config import SETTING_NAMES, load_settings
from legacy_flask.db import init_db
from legacy_flask.handlers import register_error_handlers
from legacy_flask.routing import install_converters


class LegacyFlask(Flask):
    def make_default_options_response(self) -> Response:
        # Flask lists the methods in set order; the contract wants them sorted.
        response = super().make_default_options_response()
        response.headers["Allow"] = ", ".join(sorted(response.allow))
        return response


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; settings come from the environment, ``config`` overrides any key."""
    settings = load_settings(config)
    app = LegacyFlask(__name__)
    app.config.from_mapping(settings.flask_config())
    app.config.update({k: v for k, v in (config or {}).items() if k not in SETTING_NAMES})
    install_converters(app.url_map)
    init_db(app, settings)
    register_error_handlers(app)
    for module in (accounts, payments, transfers, session, ops):
        app.register_blueprint(module.blueprint)
    return app

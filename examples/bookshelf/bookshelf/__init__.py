"""Bookshelf: a small Flask app built the way most teams build one (an example project).

An application factory, blueprints, Flask-SQLAlchemy models, flask-login sessions, one
Jinja page and a JSON API. Strangler's end-to-end test copies this folder to an empty
one and migrates it, route by route, to ``bookshelf_next`` (FastAPI).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bookshelf")
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev"),
        SQLALCHEMY_DATABASE_URI=url.replace("postgresql://", "postgresql+psycopg2://", 1),
    )
    app.config.update(config or {})
    db.init_app(app)
    login_manager.init_app(app)

    from bookshelf import api, auth, pages

    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(pages.bp)

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        return jsonify(error="login required"), 401

    @app.cli.command("init-db")
    def init_db() -> None:
        db.create_all()

    return app

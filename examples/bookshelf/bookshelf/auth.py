from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required, login_user, logout_user

from bookshelf import db
from bookshelf.models import User

bp = Blueprint("auth", __name__)


@bp.post("/login")
def login() -> Any:
    data = request.get_json(silent=True) or request.form
    user = db.session.execute(
        db.select(User).filter_by(username=data.get("username", ""))
    ).scalar_one_or_none()
    if user is None or not user.check_password(data.get("password", "")):
        return jsonify(error="bad username or password"), 401
    login_user(user)
    return jsonify(user=user.username)


@bp.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    return jsonify(ok=True)


@bp.get("/api/me")
@login_required
def me() -> Any:
    return jsonify(user=current_user.username)

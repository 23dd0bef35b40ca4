from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required

from bookshelf import db
from bookshelf.models import Book

bp = Blueprint("api", __name__)


@bp.get("/books")
def list_books() -> Any:
    books = db.session.execute(db.select(Book).order_by(Book.id)).scalars()
    return jsonify(books=[book.to_dict() for book in books])


@bp.get("/books/<int:book_id>")
def get_book(book_id: int) -> Any:
    book = db.session.get(Book, book_id)
    if book is None:
        abort(404)
    return jsonify(book.to_dict())


@bp.post("/books")
@login_required
def add_book() -> Any:
    data = request.get_json(silent=True) or {}
    title, author = data.get("title"), data.get("author")
    if not isinstance(title, str) or not isinstance(author, str) or not title:
        return jsonify(error="title and author are required"), 422
    book = Book(title=title, author=author, owner_id=current_user.id)
    db.session.add(book)
    db.session.commit()
    return jsonify(book.to_dict()), 201


@bp.errorhandler(404)
def not_found(_: Exception) -> Any:
    return jsonify(error="not found"), 404

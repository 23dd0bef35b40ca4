from __future__ import annotations

from flask import Blueprint, render_template

from bookshelf import db
from bookshelf.models import Book

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    books = db.session.execute(db.select(Book).order_by(Book.id)).scalars().all()
    return render_template("index.html", books=books)

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bookshelf_next.db import Book, session
from bookshelf_next.login import current_user_id

Db = Annotated[AsyncSession, Depends(session)]


class VaryCookie:
    """Flask sends ``Vary: Cookie`` on every answer (flask-login reads the session each
    request); caches must treat both apps' answers alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"vary", b"Cookie")]
            await send(message)

        await self.app(scope, receive, vary if scope["type"] == "http" else send)


app = FastAPI(title="bookshelf (port)")
app.add_middleware(VaryCookie)


class NewBook(BaseModel):
    title: str = Field(min_length=1)
    author: str


def _book(book: Book) -> dict[str, Any]:
    return {"id": book.id, "title": book.title, "author": book.author, "owner_id": book.owner_id}


@app.exception_handler(HTTPException)
async def error_shape(_: Request, exc: HTTPException) -> JSONResponse:
    # the legacy app's error shape: {"error": "..."}
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code)


@app.get("/api/books")
async def list_books(db: Db) -> dict[str, Any]:
    books = (await db.execute(select(Book).order_by(Book.id))).scalars()
    return {"books": [_book(book) for book in books]}


@app.get("/api/books/{book_id}")
async def get_book(book_id: int, db: Db) -> dict[str, Any]:
    book = await db.get(Book, book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="not found")
    return _book(book)


@app.post("/api/books", status_code=201)
async def add_book(request: Request, db: Db) -> Any:
    owner_id = current_user_id(request)
    try:
        data = NewBook.model_validate(await request.json())
    except ValueError:
        return JSONResponse({"error": "title and author are required"}, status_code=422)
    book = Book(title=data.title, author=data.author, owner_id=owner_id)
    db.add(book)
    await db.commit()
    return _book(book)

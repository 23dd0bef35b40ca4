from __future__ import annotations

import os
from collections.abc import AsyncIterator

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bookshelf")
engine = create_async_engine(URL.replace("postgresql://", "postgresql+asyncpg://", 1))
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int]  # users.id: the users table is still the legacy app's


async def session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as db:
        yield db

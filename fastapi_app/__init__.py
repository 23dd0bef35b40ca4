"""The payments API ported to FastAPI, Pydantic v2, asyncpg and Redis."""

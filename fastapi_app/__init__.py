"""The payments API ported to FastAPI, Pydantic v2, asyncpg and Redis: the "new" side of
the reference migration.

Use it as the example of a port: ``create_app(settings)`` in ``main`` is the composition
root, ``routes/`` the endpoints of the contract (``docs/contract-details.md``), ``store/``
the SQL, ``writes`` and ``transactions`` the order of checks and the retries of a write.
It imports nothing of the shim nor of ``legacy_flask``; the router learns it only as the
import string ``fastapi_app.main:app``.

Example:
    >>> from fastapi_app.main import create_app
    >>> callable(create_app)
    True
"""

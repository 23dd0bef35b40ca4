"""Clients of the port for tests: the lifespan runs from construction to ``close()``.

The contract suite's ``api_factory`` closes its clients with ``close()``; a plain
``TestClient`` would leave its lifespan (and its pool's connections) running. Each test
gets its own cache namespace, because every test's TRUNCATE restarts the ids.

Example:
    client = PortClient(create_app(port_settings("tests/x.py::test_y")))
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.testclient import TestClient

from fastapi_app.settings import Settings, load_settings

BASE_URL = "http://testserver"
RUN_TOKEN = secrets.token_hex(4)


def port_settings(test_id: str, **overrides: str) -> Settings:
    """Settings from the environment, with a cache namespace private to one test."""
    given = {"CACHE_NAMESPACE": f"test:{RUN_TOKEN}:{test_id}", "DB_POOL_MIN_SIZE": "1"}
    return load_settings({**given, **overrides})


class PortClient(TestClient):
    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, base_url=BASE_URL, **kwargs)
        self._running = False
        self.__enter__()
        self._running = True

    def close(self) -> None:
        if self._running:
            self._running = False
            self.__exit__(None, None, None)
        super().close()

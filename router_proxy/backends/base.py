"""What the dispatcher needs from a backend."""

from __future__ import annotations

from typing import Protocol

from router_proxy.body import RequestBody
from router_proxy.types import Scope, Send


class Backend(Protocol):
    name: str

    async def handle(self, scope: Scope, body: RequestBody, send: Send) -> None:
        """Answer one request; raise a ``BackendError`` only before the response started."""

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def ready(self) -> bool: ...

"""The new side when no new app is named: the router then serves legacy alone.

With no new app every route is legacy's (the route table has no new routes, so ``decide``
never picks new); this backend stands in so that nothing else needs a special case, and
answers 502 should a request reach it anyway.

Example:
    >>> AbsentBackend().name
    'new'
"""

from __future__ import annotations

from router_proxy.body import RequestBody
from router_proxy.errors import BackendUnavailable
from router_proxy.types import Scope, Send


class AbsentBackend:
    name = "new"

    async def handle(self, scope: Scope, body: RequestBody, send: Send) -> None:
        raise BackendUnavailable("new: no new app is configured")

    async def startup(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def ready(self) -> bool:
        return True  # nothing to wait for: readiness is legacy's alone

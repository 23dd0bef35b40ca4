"""A thread with its own event loop, where a blocking (WSGI) side runs beside the async one.

The legacy side's calls block (a WSGI app, a psycopg2 connection). Run on the harness's
loop they stop the port's side; run on a ``Lane`` the two implementations answer the
same case at the same time, and each one's database round trips overlap with the other's
Python work. A lane runs one coroutine at a time per caller: the harness awaits it.

Example:
    >>> import asyncio
    >>> async def twice(x: int) -> int:
    ...     return 2 * x
    >>> async def main() -> int:
    ...     with Lane() as lane:
    ...         return await lane.run(twice(21))
    >>> asyncio.run(main())
    42
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


class Lane:
    def __init__(self, name: str = "parity-lane") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> Lane:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

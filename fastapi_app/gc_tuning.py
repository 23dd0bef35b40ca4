"""Keep CPython's cyclic garbage collector off the request path while the app serves.

Measured on the seeded bench (one uvicorn worker, ``GET /api/v1/accounts/<id>`` at c=50),
default collector settings spent ~17% of the worker's CPU in collections and stalled
the event loop for up to 135 ms at a time, which is most of the port's p99:

- full (gen 2) collections walked every object FastAPI, pydantic and asyncpg built at
  start-up, again and again; ``gc.freeze()`` once the app is built moves those objects
  out of the collector's sight (it never frees them; they live as long as the app);
- 50 requests in flight keep a few hundred container objects each alive, so the default
  gen-0 threshold (700 net allocations) fired a collection every few requests although
  almost everything is freed by reference counting when its request ends; a threshold
  of 20,000 lets them go that way, and cycles are still collected, only in larger steps.

``tuned()`` applies both for as long as any app of the process is running (tests run
several at once) and restores the previous state when the last one stops.

Example:
    >>> with tuned():
    ...     gc.get_threshold()[0]
    20000
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

GEN0_THRESHOLD = 20_000


class _Holders:
    """How many running apps want the tuning, and the settings to restore after the last."""

    count = 0
    previous: tuple[int, ...] = ()


@contextmanager
def tuned() -> Iterator[None]:
    if _Holders.count == 0:
        _Holders.previous = gc.get_threshold()
        _, *older = _Holders.previous
        gc.set_threshold(GEN0_THRESHOLD, *older)
    _Holders.count += 1
    gc.freeze()
    try:
        yield
    finally:
        _Holders.count -= 1
        if _Holders.count == 0:
            gc.unfreeze()  # back to the oldest generation: an app's cycles can be freed again
            gc.set_threshold(*_Holders.previous)

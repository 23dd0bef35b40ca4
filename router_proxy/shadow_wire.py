"""The wire between the router and its shadow worker process: length-prefixed pickle
frames over a Unix socket pair (the worker's end is its stdin).

Router → worker: one ``WorkerConfig``, then lists of copies (``pack_copy``): one write
per turn of the router's loop, however many requests finished in it.
Worker → router: lists of ``Event`` tuples, batched (one write per ~50 ms, not per copy)
so the router spends almost nothing reading them.

Pickle is safe here for the reason it usually is not: both ends are this package, in
processes of the same user, joined by an anonymous socket pair nobody else can write to.

Example:
    >>> frame = encode([("ready",)])
    >>> HEADER.unpack(frame[:4])[0] == len(frame) - 4, decode(frame[4:])
    (True, [('ready',)])
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rollout.evidence.compare import CompareRules
from rollout.types import Backend, Decision, RouteInfo
from router_proxy.capture import Captured, replayed_scope
from router_proxy.config import Settings
from router_proxy.errors import RouterError
from router_proxy.served import Served
from router_proxy.shadow import ShadowLimits

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # a copy carries at most two capped bodies; this is a guard

# Events the worker reports; the router applies them to its RouterStats.
READY = "ready"  # ("ready",)
TAKEN = "taken"  # ("taken", n): copies the worker has read (the router's backlog shrinks)
SENT = "sent"  # ("sent", n): copies actually sent to a backend
# Tallies: (kind, route_key, detail, backend, n) for n copies since the last batch.
COMPARED = "compared"  # detail: mismatch (bool)
DROPPED = "dropped"  # detail: the drop reason
COMPARE_ERROR = "compare_error"  # detail None, backend ""
LEDGER_ERROR = "ledger_error"  # detail None, backend ""

Event = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    settings: Settings
    rules: Mapping[str, CompareRules]
    limits: ShadowLimits


def pack_copy(served: Served, queued_at: float) -> tuple[Any, ...]:
    """A copy as a tuple of builtins: pickling the dataclasses themselves goes through
    their Python-level ``__getstate__`` and costs the router's loop ~4x more."""
    route, decision, response, scope = served.route, served.decision, served.response, served.scope
    assert route is not None and response is not None
    return (
        queued_at,
        served.request_id,
        (route.key, route.in_legacy, route.in_new, route.is_write, route.flag_name),
        (decision.primary.value, decision.shadow.value if decision.shadow else None),
        (decision.sandbox, decision.reason),
        replayed_scope(scope) | {"headers": scope["headers"]},
        served.status,
        served.body,
        (response.status, response.headers, bytes(response.body)),
    )


def unpack_copy(packed: tuple[Any, ...]) -> tuple[Served, float]:
    """(the finished request, when the router queued it: ``time.monotonic()``)."""
    queued_at, request_id, route, backends, (sandbox, reason), scope, status, body, answer = packed
    primary, shadow = backends
    decision = Decision(
        Backend(primary), Backend(shadow) if shadow else None, sandbox=sandbox, reason=reason
    )
    response = Captured(answer[0], list(answer[1]), bytearray(answer[2]), complete=True)
    served = Served(request_id, RouteInfo(*route), decision, scope, status, body, response)
    return served, queued_at


class WireClosed(RouterError):
    """The other end went away (EOF or a broken frame)."""


def encode(message: Any) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def decode(payload: bytes) -> Any:
    return pickle.loads(payload)


async def read_message(reader: asyncio.StreamReader) -> Any:
    try:
        (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
        if size > MAX_FRAME:
            raise WireClosed(f"frame of {size} bytes")
        return decode(await reader.readexactly(size))
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise WireClosed(type(exc).__name__) from exc

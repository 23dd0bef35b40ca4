"""The shadow: after the primary has answered, replay the request to the other backend,
compare both answers and keep the evidence, without ever touching the client's response.

The dispatcher calls the runner (its ``shadow_hook``) once the client has the whole
response; the runner only schedules a task and returns. Scheduling happens after the
response on purpose: with both apps in one process the copy would otherwise share the
event loop (and the GIL) with the answer the client is waiting for.

Bounds (A7): at most ``concurrency`` copies in flight (more are dropped, not queued),
each cancelled after ``timeout`` seconds, and request or response bodies over
``body_limit`` are not compared. Writes (A8) are never sent twice: a write's copy goes
only to the new app and only in sandbox mode (``X-Strangler-Sandbox: 1``, its
transaction is rolled back); anything else is skipped and counted. Comparator, ledger and
candidate failures are counted and logged (never a payload), never raised. Tiny answers
are compared on the loop (cheaper than the thread handoff), others and ledger writes in a
thread.

Example:
    runner = ShadowRunner({Backend.LEGACY: legacy, Backend.NEW: new}, RouterStats(),
                          ShadowLimits(concurrency=8, timeout=2.0, body_limit=256 * 1024))
    app = RouterApp(table, provider, legacy, new, settings, shadow_hook=runner)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from rollout.evidence.compare import DEFAULT_RULES, CompareRules, Difference, HttpResponse, compare
from rollout.evidence.ledger import ParityLedger, RecordedRequest
from rollout.types import Backend, RouteInfo
from router_proxy.backends.base import Backend as BackendImpl
from router_proxy.capture import Captured, ResponseRecorder, replay_body, replayed_scope
from router_proxy.routes import WRITE_METHODS
from router_proxy.served import Served
from router_proxy.stats import RouterStats
from router_proxy.types import Scope

log = structlog.get_logger("router_proxy.shadow")

SANDBOX_HEADER = (b"x-strangler-sandbox", b"1")


@dataclass(frozen=True, slots=True)
class ShadowLimits:
    concurrency: int = 8
    timeout: float = 2.0
    body_limit: int = 256 * 1024
    # Both answers together this small are compared on the loop: a thread handoff costs
    # ~40 us of CPU, a tiny JSON comparison ~7 us; but 4 KiB of JSON takes ~0.5 ms, which
    # must not block the loop. Larger ones, and every ledger write: a thread. 0: always.
    inline_compare_bytes: int = 512
    # Copies are admitted only while the router serves fewer client requests than this:
    # a busy router sheds its copies first (counted as "busy").
    max_inflight: int = 64


@dataclass(frozen=True, slots=True)
class Outcome:
    differences: list[Difference]
    compare_failed: bool = False
    ledger_failed: bool = False


class ShadowRunner:
    def __init__(
        self,
        backends: Mapping[Backend, BackendImpl],
        stats: RouterStats,
        limits: ShadowLimits = ShadowLimits(),
        rules: Mapping[str, CompareRules] | None = None,
        ledger: ParityLedger | None = None,
    ) -> None:
        self.backends = backends
        self.stats = stats
        self.limits = limits
        self.rules = dict(rules or {})
        self.ledger = ledger
        self.tasks: set[asyncio.Task[None]] = set()
        self.sent: int = 0  # copies actually sent to a backend; tests watch it

    async def __call__(self, served: Served) -> None:
        try:
            self._schedule(served)
        except Exception as exc:  # the shadow never breaks the request it copies
            log.error("shadow_schedule_failed", error=type(exc).__name__)

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.ledger is not None:
            await asyncio.to_thread(self.ledger.close)

    def _schedule(self, served: Served) -> None:
        target = admit(served, self.stats, self.limits)
        if target is None:
            return
        assert served.route is not None
        if len(self.tasks) >= self.limits.concurrency:
            self.stats.dropped(served.route.key, "cap", target.value)
            return
        task = asyncio.get_running_loop().create_task(self._run(served, target))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, served: Served, target: Backend) -> None:
        assert served.route is not None and served.response is not None
        key = served.route.key
        try:
            candidate = await asyncio.wait_for(self._replay(served, target), self.limits.timeout)
        except TimeoutError:
            self.stats.dropped(key, "timeout", target.value)
            return
        except Exception as exc:
            self.stats.dropped(key, "error", target.value)
            log.warning("shadow_candidate_failed", route=key, error=type(exc).__name__)
            return
        if not _comparable(candidate):
            self.stats.dropped(key, "body_cap" if candidate.overflow else "error", target.value)
            return
        self._count(key, await self._judge(served, candidate, target), target)

    async def _judge(self, served: Served, candidate: Captured, target: Backend) -> Outcome:
        if not self._small(served, candidate):
            return await asyncio.to_thread(self._compare_and_record, served, candidate, target)
        outcome = self._compare(served, candidate, target)
        if not outcome.differences or outcome.compare_failed or self.ledger is None:
            return outcome
        recorded = await asyncio.to_thread(
            self._record_outcome, served, candidate, target, outcome.differences
        )
        return Outcome(outcome.differences, ledger_failed=not recorded)

    def _small(self, served: Served, candidate: Captured) -> bool:
        assert served.response is not None
        size = len(served.response.body) + len(candidate.body)
        return size <= self.limits.inline_compare_bytes

    async def _replay(self, served: Served, target: Backend) -> Captured:
        assert served.body is not None
        recorder = ResponseRecorder(None, self.limits.body_limit)
        body = replay_body(served.body, max(len(served.body), 1))
        body.start()
        self.sent += 1
        try:
            await self.backends[target].handle(_copy_scope(served), body, recorder.send)
        finally:
            body.close()
        return recorder.captured

    def _compare_and_record(self, served: Served, candidate: Captured, target: Backend) -> Outcome:
        outcome = self._compare(served, candidate, target)
        if not outcome.differences or outcome.compare_failed or self.ledger is None:
            return outcome
        recorded = self._record_outcome(served, candidate, target, outcome.differences)
        return Outcome(outcome.differences, ledger_failed=not recorded)

    def _compare(self, served: Served, candidate: Captured, target: Backend) -> Outcome:
        assert served.route is not None and served.response is not None
        legacy, new = _sides(served.response, candidate, target)
        differences = compare(legacy, new, self.rules.get(served.route.key, DEFAULT_RULES))
        failed = any(d.kind.startswith("error") for d in differences)
        return Outcome(differences, compare_failed=failed)

    def _record_outcome(
        self, served: Served, candidate: Captured, target: Backend, diff: list[Difference]
    ) -> bool:
        """Blocking (a database write): called in a thread."""
        assert served.response is not None
        legacy, new = _sides(served.response, candidate, target)
        return self._record(served, legacy, new, diff)

    def _record(
        self, served: Served, legacy: HttpResponse, new: HttpResponse, diff: list[Difference]
    ) -> bool:
        assert self.ledger is not None and served.route is not None and served.body is not None
        try:
            self.ledger.record(served.route.key, _recorded_request(served), legacy, new, diff)
        except Exception as exc:  # LedgerError, or anything else: logged, never raised
            log.error("parity_ledger_failed", route=served.route.key, error=type(exc).__name__)
            return False
        return True

    def _count(self, key: str, outcome: Outcome, target: Backend) -> None:
        if outcome.compare_failed:
            self.stats.compare_failed(key)
            return
        self.stats.compared(key, bool(outcome.differences), target.value)
        if outcome.ledger_failed:
            self.stats.ledger_failed(key)


def admit(served: Served, stats: RouterStats, limits: ShadowLimits) -> Backend | None:
    """The backend a finished request may be copied to, or None (counted: a write without
    sandbox, a busy router, a body over the cap). Cheap: it runs on the client's loop for
    every copy."""
    route, target = served.route, served.decision.shadow
    if route is None or target is None:
        return None
    if not _may_copy(served, route, target):
        stats.skipped_write(route.key)
        return None
    if served.inflight >= limits.max_inflight:
        stats.dropped(route.key, "busy", target.value)
        return None
    if served.body is None or served.response is None or not _comparable(served.response):
        stats.dropped(route.key, "body_cap", target.value)
        return None
    return target


def _may_copy(served: Served, route: RouteInfo, target: Backend) -> bool:
    """A8: a write is copied only to the new app, only in sandbox mode."""
    is_write = route.is_write or served.scope["method"] in WRITE_METHODS
    return not is_write or (served.decision.sandbox and target is Backend.NEW)


def _comparable(captured: Captured) -> bool:
    return captured.complete and not captured.overflow and captured.status > 0


def _sides(
    primary: Captured, candidate: Captured, target: Backend
) -> tuple[HttpResponse, HttpResponse]:
    """(legacy, new) answers, whichever of them was the primary."""
    mine, other = primary.as_http_response(), candidate.as_http_response()
    return (other, mine) if target is Backend.LEGACY else (mine, other)


def _copy_scope(served: Served) -> Scope:
    scope = replayed_scope(served.scope)
    headers = [(n, v) for n, v in served.scope["headers"] if not n.startswith(b"x-strangler-")]
    if served.decision.sandbox and served.decision.shadow is Backend.NEW:
        headers.append(SANDBOX_HEADER)
    scope["headers"] = headers
    return scope


def _recorded_request(served: Served) -> RecordedRequest:
    scope = served.scope
    headers = {n.decode("latin-1"): v.decode("latin-1") for n, v in scope["headers"]}
    return RecordedRequest(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=served.body or b"",
    )

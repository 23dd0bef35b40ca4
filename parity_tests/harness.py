"""Run parity cases: each on legacy (twice, for noise) and on the port, then compare.

For each case and side: a savepoint in that side's outer transaction, the case's setup,
its steps (a ``via: other`` step runs on the other side and its row changes are carried
over), the row changes read from the change log, and a rollback to the savepoint.
Responses and row changes are normalised (``Normaliser``) and compared with the shared
comparator (``rollout.evidence.compare``). When legacy and new differ, legacy runs a second
time: differences between its two runs are noise, left out and listed so they can
become normalisers (a case where both already agree has nothing noise could remove).
Reads run in batches: each side goes through the batch's cases in order, the two sides
at once, the blocking legacy side on its own thread (``Lane``); a write, or a case with a
``via: other`` step, runs alone, one side after the other. A case that meets a serialization
failure or deadlock (40001/40P01) runs again, whole, after a jittered exponential backoff.

Example:
    cases = Path("cases")
    results = asyncio.run(run_suite(load_cases(cases), load_pair("app.parity:pair"),
                                    load_world(cases)))
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from parity_tests.capture import RowChange, TableKeys, install_change_capture
from parity_tests.cases import ParityCase, Step
from parity_tests.errors import ParityError, Retryable
from parity_tests.isolation import Isolation, LegacyIsolation, open_new_isolation
from parity_tests.lane import Lane
from parity_tests.normalise import Normaliser
from parity_tests.pair import AppPair, RemotePair
from parity_tests.results import Mismatch, ParityResult
from parity_tests.targets import Answer, AsgiTarget, Outgoing, RemoteTarget, Target, WsgiTarget
from parity_tests.world import World, install_world
from rollout.evidence.compare import CompareRules, HttpResponse, compare

JSON = {"content-type": "application/json"}
ROW_RULES = CompareRules(headers=())


@dataclass(frozen=True)
class RunOptions:
    noise: bool = True
    max_attempts: int = 4
    backoff_seconds: float = 0.02
    backoff_cap_seconds: float = 0.5


@dataclass
class Side:
    name: str
    target: Target
    isolation: Isolation | None
    lane: Lane | None = None  # where a blocking side runs beside the other one


@dataclass(frozen=True)
class Observation:
    responses: tuple[HttpResponse, ...]
    rows: bytes


Progress = Callable[[ParityResult], None]
Seen = tuple[Observation, int] | ParityError  # one side's run of a case and its attempts
BATCH = 32  # reads run as a batch: both sides at once, results reported per batch


async def run_suite(
    cases: Sequence[ParityCase],
    pair: AppPair | RemotePair,
    world: World,
    options: RunOptions = RunOptions(),
    progress: Progress | None = None,
) -> list[ParityResult]:
    started = datetime.now(UTC) - timedelta(seconds=1)
    keys: TableKeys = {}
    if isinstance(pair, AppPair):
        keys = install_change_capture(pair.database_url)
        install_world(pair.database_url, world)
    results = []
    async with open_sides(pair) as (legacy, new):
        runner = _CaseRunner(legacy, new, world, keys, started, options)
        for batch in _batches(cases):
            for result in await runner.run_batch(batch):
                results.append(result)
                if progress is not None:
                    progress(result)
    return results


def _batches(cases: Sequence[ParityCase]) -> Iterator[list[ParityCase]]:
    """Runs of consecutive cases that may overlap (up to ``BATCH``); any other case alone."""
    batch: list[ParityCase] = []
    for case in cases:
        if _may_overlap(case) and len(batch) < BATCH:
            batch.append(case)
            continue
        if batch:
            yield batch
        batch = [case] if _may_overlap(case) else []
        if not batch:
            yield [case]
    if batch:
        yield batch


@asynccontextmanager
async def open_sides(pair: AppPair | RemotePair) -> AsyncIterator[tuple[Side, Side]]:
    if isinstance(pair, RemotePair):
        legacy = Side("legacy", RemoteTarget(pair.legacy_url), None)
        new = Side("new", RemoteTarget(pair.new_url), None)
        try:
            yield legacy, new
        finally:
            await legacy.target.close()
            await new.target.close()
        return
    port = AsgiTarget(pair.new_app)
    await port.start()
    try:
        legacy_isolation = LegacyIsolation(pair.legacy_app, pair.legacy_db)
        try:
            port_isolation = await open_new_isolation(
                pair.pool_root, pair.database_url, pair.new_db
            )
            try:
                with Lane("parity-legacy") as lane:
                    legacy = Side("legacy", WsgiTarget(pair.legacy_app), legacy_isolation, lane)
                    yield legacy, Side("new", port, port_isolation)
            finally:
                await port_isolation.close()
        finally:
            await legacy_isolation.close()
    finally:
        await port.close()


class _CaseRunner:
    def __init__(
        self,
        legacy: Side,
        new: Side,
        world: World,
        keys: TableKeys,
        started: datetime,
        options: RunOptions,
    ) -> None:
        self.legacy, self.new, self.world, self.keys = legacy, new, world, keys
        self.started, self.options = started, options

    async def run_batch(self, cases: list[ParityCase]) -> list[ParityResult]:
        """One case alone, or a batch of reads: each side goes through the batch's cases
        in order (one savepoint at a time on its connection), the two sides at once."""
        if len(cases) == 1 and not _may_overlap(cases[0]):
            return [await self.run(cases[0])]
        clock = time.perf_counter()
        legacy_stream = self._stream(cases, self.legacy, self.new)
        both = await asyncio.gather(
            self.legacy.lane.run(legacy_stream) if self.legacy.lane else legacy_stream,
            self._stream(cases, self.new, self.legacy),
            return_exceptions=True,  # both finish before anything else takes the connections
        )
        legacy_seen, new_seen = both
        if isinstance(legacy_seen, BaseException):
            raise legacy_seen
        if isinstance(new_seen, BaseException):
            raise new_seen
        share = (time.perf_counter() - clock) / len(cases)
        return [
            await self.run(case, (legacy, new), share)
            for case, legacy, new in zip(cases, legacy_seen, new_seen, strict=True)
        ]

    async def _stream(self, cases: Sequence[ParityCase], side: Side, other: Side) -> list[Seen]:
        seen: list[Seen] = []
        for case in cases:
            try:
                seen.append(await self._observe(case, side, other))
            except ParityError as exc:
                seen.append(exc)
        return seen

    async def run(
        self, case: ParityCase, observed: tuple[Seen, Seen] | None = None, seconds: float = 0.0
    ) -> ParityResult:
        """``observed``: both sides' runs, already made (in a batch that took ``seconds``
        per case); without it the case runs here, legacy first."""
        clock = time.perf_counter()
        result = ParityResult(
            case.id,
            case.route,
            case.kind,
            "pass",
            accepted_reason=case.accepted.reason if case.accepted else "",
            description=case.description,
        )
        if case.kind == "write" and self.legacy.isolation is None:
            result.status, result.error = "skipped", "writes need in-process isolation"
            return result
        try:
            await self._compare(case, result, observed or await self._observe_both(case))
        except ParityError as exc:
            result.status, result.error = "error", str(exc)
        result.seconds = seconds + time.perf_counter() - clock
        return result

    async def _compare(
        self, case: ParityCase, result: ParityResult, observed: tuple[Seen, Seen]
    ) -> None:
        legacy_seen, new_seen = observed
        if isinstance(legacy_seen, ParityError):
            raise legacy_seen
        if isinstance(new_seen, ParityError):
            raise new_seen
        (first, attempts), (new, more) = legacy_seen, new_seen
        found = differences(first, new, case.rules)
        # Noise only ever removes differences: when legacy and new already agree, a second
        # legacy run cannot change the verdict, so it runs only for a case that differs.
        if found and self.options.noise:
            second, _ = await self._observe(case, self.legacy, self.new)
            noisy = differences(first, second, case.rules)
            noise = {(m.step, m.where, m.path) for m in noisy}
            result.noisy = sorted({m.label for m in noisy})
            found = [m for m in found if (m.step, m.where, m.path) not in noise]
        accepted = case.accepted
        result.mismatches = [
            Mismatch(
                m.step,
                m.where,
                m.path,
                m.legacy_value,
                m.new_value,
                m.kind,
                accepted is not None and accepted.covers(m.path),
            )
            for m in found
        ]
        result.attempts = max(attempts, more)
        if any(not m.accepted for m in result.mismatches):
            result.status = "fail"
        elif result.mismatches:
            result.status = "accepted"

    async def _observe_both(self, case: ParityCase) -> tuple[Seen, Seen]:
        legacy = await self._observe(case, self.legacy, self.new)
        return legacy, await self._observe(case, self.new, self.legacy)

    async def _observe(self, case: ParityCase, side: Side, other: Side) -> tuple[Observation, int]:
        for attempt in range(1, self.options.max_attempts + 1):
            try:
                return await self._observe_once(case, side, other), attempt
            except Retryable:
                if attempt == self.options.max_attempts:
                    raise
                bound = self.options.backoff_seconds * 2 ** (attempt - 1)
                await asyncio.sleep(random.uniform(0, min(bound, self.options.backoff_cap_seconds)))
        raise AssertionError("unreachable")

    async def _observe_once(self, case: ParityCase, side: Side, other: Side) -> Observation:
        normaliser = Normaliser(self.started)
        jar: dict[str, str] = {}
        answers: list[HttpResponse] = []
        try:
            if side.isolation is not None:
                await side.isolation.begin_case(case.setup)
            for index, step in enumerate(case.steps):
                outgoing = self._outgoing(case, index, step, jar)
                answer = await (
                    self._via_other(case, outgoing, side, other)
                    if step.crosses_to(side.name)
                    else side.target.send(outgoing)
                )
                _keep_cookies(jar, answer)
                if step.compared:
                    answers.append(answer.response)
            changes = await side.isolation.changes(self.keys) if side.isolation else []
        finally:
            if side.isolation is not None:
                await side.isolation.end_case()
        normaliser.learn(changes, self.keys)
        return _observation(normaliser, answers, changes)

    async def _via_other(
        self, case: ParityCase, outgoing: Outgoing, side: Side, other: Side
    ) -> Answer:
        if other.isolation is None or side.isolation is None:
            return await other.target.send(outgoing)
        try:
            await other.isolation.begin_case(case.setup)
            answer = await other.target.send(outgoing)
            changes = await other.isolation.changes(self.keys)
        finally:
            await other.isolation.end_case()
        await side.isolation.apply(changes, self.keys)
        return answer

    def _outgoing(self, case: ParityCase, index: int, step: Step, jar: dict[str, str]) -> Outgoing:
        spec = step.request
        headers = dict(spec.headers)
        if spec.auth:
            headers["Authorization"] = self.world.authorization(spec.auth)
        key = case.idempotency_key(index, spec)
        if key is not None:
            headers["Idempotency-Key"] = key
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        return Outgoing(spec.method, spec.path, spec.query, headers, spec.body)


def _may_overlap(case: ParityCase) -> bool:
    """Reads run on both sides at once. Writes do not: the two outer transactions would
    wait on each other's row locks (or deadlock), which is timing, not parity; nor do
    cases with a ``via: other`` step, which use both sides' connections."""
    return case.kind == "read" and all(step.via == "self" for step in case.steps)


def _observation(
    normaliser: Normaliser, answers: Sequence[HttpResponse], changes: Sequence[RowChange]
) -> Observation:
    responses = tuple(HttpResponse(a.status, a.headers, normaliser.body(a.body)) for a in answers)
    rows = json.dumps(normaliser.changes(changes), sort_keys=True, default=str).encode()
    return Observation(responses, rows)


def differences(left: Observation, right: Observation, rules: CompareRules) -> list[Mismatch]:
    """Legacy (left) against new (right): every response, then the row changes."""
    found = [
        Mismatch(step, "response", d.path, d.legacy_value, d.new_value, d.kind)
        for step, (a, b) in enumerate(zip(left.responses, right.responses, strict=True))
        for d in compare(a, b, rules)
    ]
    rows = compare(
        HttpResponse(200, JSON, left.rows), HttpResponse(200, JSON, right.rows), ROW_RULES
    )
    found += [
        Mismatch(0, "rows", "rows" + d.path[1:], d.legacy_value, d.new_value, d.kind) for d in rows
    ]
    return found


def _keep_cookies(jar: dict[str, str], answer: Answer) -> None:
    for header in answer.set_cookies:
        try:
            parsed = SimpleCookie(header)
        except CookieError:
            continue
        for name, morsel in parsed.items():
            if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                jar.pop(name, None)
            else:
                jar[name] = morsel.value

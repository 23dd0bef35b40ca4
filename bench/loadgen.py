"""A bounded, loopback-only load generator that remembers every answer: what the fault
bench needs to prove that every 2xx write is in the database exactly once.

Requests cycle over a fixed read/write mix (8 reads, 2 writes); each write carries a fresh
Idempotency-Key and, on 2xx, the created id is kept. Open loop at a given rate (with a cap
on requests in flight), or closed loop with C workers to measure capacity.

Example:
    mix = Mix(auth, accounts, transfer_pairs, payment_ids, run_id="abc")
    outcomes = asyncio.run(open_loop(base_url, mix, rate=200, seconds=5))
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

MAX_IN_FLIGHT = 512
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Request:
    kind: str  # e.g. "payment create"
    method: str
    path: str
    body: dict[str, Any] | None = None
    key: str | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


@dataclass
class Outcome:
    at: float  # seconds since the start of the run, when the request was sent
    request: Request
    status: int | None = None
    error: str | None = None  # client-side failure class when there is no status
    created_id: str | None = None

    @property
    def error_class(self) -> str:
        if self.status is None:
            return self.error or "no answer"
        return f"{self.status // 100}xx" if self.status < 500 else str(self.status)


@dataclass
class Mix:
    auth: str
    accounts: list[tuple[int, str]]  # (account id, currency)
    transfer_pairs: list[tuple[int, int, str]]
    payment_ids: list[str]
    run_id: str
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def next(self) -> Request:
        n = next(self.counter)
        account, currency = self.accounts[n % len(self.accounts)]
        slot = n % 10
        if slot == 7:
            body = {"account_id": account, "amount_cents": 1, "currency": currency,
                    "merchant": f"Soak {self.run_id}"}  # fmt: skip
            return Request("payment create", "POST", "/api/v1/payments", body, self._key(n))
        if slot == 9:
            source, target, money = self.transfer_pairs[n % len(self.transfer_pairs)]
            if n % 20 == 9:  # both directions between the same accounts
                source, target = target, source
            body = {"from_account_id": source, "to_account_id": target,
                    "amount_cents": 1, "currency": money}  # fmt: skip
            return Request("transfer create", "POST", "/api/v1/transfers", body, self._key(n))
        payment = self.payment_ids[n % len(self.payment_ids)]
        reads = {
            0: ("account read", f"/api/v1/accounts/{account}"),
            1: ("payment list", f"/api/v1/payments?account_id={account}"),
            2: ("payment read", f"/api/v1/payments/{payment}"),
            3: ("ledger", f"/api/v1/accounts/{account}/ledger"),
            4: ("summary", f"/api/v1/accounts/{account}/summary"),
            5: ("account read", f"/api/v1/accounts/{account}"),
            6: ("payment list", f"/api/v1/payments?account_id={account}"),
            8: ("me", "/api/v1/me"),
        }
        kind, path = reads[slot]
        return Request(kind, "GET", path)

    def _key(self, n: int) -> str:
        return f"soak-{self.run_id}-{n}"


async def send(session: aiohttp.ClientSession, base: str, mix: Mix, req: Request, t0: float,
               auth: str) -> Outcome:  # fmt: skip
    outcome = Outcome(time.monotonic() - t0, req)
    headers = {"Authorization": auth}
    if req.key:
        headers["Idempotency-Key"] = req.key
    try:
        async with session.request(req.method, base + req.path, json=req.body,
                                   headers=headers) as response:  # fmt: skip
            payload = await response.read()
            outcome.status = response.status
            if req.is_write and 200 <= response.status < 300:
                outcome.created_id = str(json.loads(payload)["id"])
    except TimeoutError:
        outcome.error = "timeout"
    except aiohttp.ClientConnectorError:
        outcome.error = "connect"
    except aiohttp.ClientError as exc:
        outcome.error = type(exc).__name__
    return outcome


def _session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


async def open_loop(base: str, mix: Mix, rate: float, seconds: float) -> list[Outcome]:
    """``rate`` requests/s for ``seconds``; beyond MAX_IN_FLIGHT a request is not sent
    (recorded as ``shed by client``), so an outage cannot pile up unbounded work."""
    if not base.startswith("http://127.0.0.1:"):
        raise ValueError("load only ever targets 127.0.0.1")
    outcomes: list[Outcome] = []
    pending: set[asyncio.Task[Outcome]] = set()
    async with _session() as session:
        t0 = time.monotonic()
        for n in itertools.count():
            due = t0 + n / rate
            if due - t0 >= seconds:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            req = mix.next()
            if len(pending) >= MAX_IN_FLIGHT:
                outcomes.append(Outcome(due - t0, req, error="shed by client"))
                continue
            task = asyncio.create_task(send(session, base, mix, req, t0, mix.auth))
            pending.add(task)
            task.add_done_callback(_collect(pending, outcomes))
        await asyncio.gather(*pending)
    return sorted(outcomes, key=lambda outcome: outcome.at)


def _collect(
    pending: set[asyncio.Task[Outcome]], outcomes: list[Outcome]
) -> Callable[[asyncio.Task[Outcome]], None]:
    def done(task: asyncio.Task[Outcome]) -> None:
        pending.discard(task)
        outcomes.append(task.result())

    return done


async def closed_loop(base: str, mix: Mix, concurrency: int, seconds: float) -> float:
    """Requests/s that ``concurrency`` back-to-back clients get: the capacity."""
    done = 0
    async with _session() as session:
        t0 = time.monotonic()

        async def client() -> None:
            nonlocal done
            while time.monotonic() - t0 < seconds:
                await send(session, base, mix, mix.next(), t0, mix.auth)
                done += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
        return done / (time.monotonic() - t0)

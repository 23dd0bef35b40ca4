"""Deterministic demo and benchmark data: the same seed gives the same rows and API keys.

Rows go in with COPY so that 10k accounts and 200k payments load in seconds. Every
balance equals the sum of its ledger entries, as the contract's invariants demand.

Example:
    >>> from payments_demo.seed import build_dataset
    >>> data = build_dataset(accounts=3, seed=7, payments_per_account=2)
    >>> len(data.accounts), len(data.payments)
    (3, 6)
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
from werkzeug.security import generate_password_hash

ACCOUNTS_PER_OWNER = 10
CURRENCIES = ("EUR", "USD", "GBP")
MERCHANTS = ("Café Lumière", "Acme Hardware", "Nordic Rail", "Bookshop 42", "Ramen Ya", "Cloud Co")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
TABLES = (
    "idempotency_keys",
    "ledger_entries",
    "transfers",
    "refunds",
    "payments",
    "users",
    "api_keys",
    "accounts",
)


@dataclass
class Dataset:
    owners: list[dict[str, str]] = field(default_factory=list)
    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    refunds: list[tuple[Any, ...]] = field(default_factory=list)
    ledger: list[tuple[Any, ...]] = field(default_factory=list)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def build_dataset(accounts: int, seed: int, payments_per_account: int = 3) -> Dataset:
    rng = random.Random(seed)
    data = Dataset()
    owner_count = max(1, -(-accounts // ACCOUNTS_PER_OWNER))
    for index in range(owner_count):
        owner = f"org_{index + 1:05d}"
        data.owners.append(
            {
                "owner": owner,
                "api_key": f"sk_test_{rng.getrandbits(128):032x}",
                "username": owner,
                "password": f"pw-{rng.getrandbits(48):012x}",
            }
        )
    clock = EPOCH
    for account_id in range(1, accounts + 1):
        clock += timedelta(seconds=1, microseconds=rng.randrange(1_000_000))
        clock = _add_account(data, rng, account_id, payments_per_account, clock)
    return data


def _add_account(
    data: Dataset, rng: random.Random, account_id: int, payments: int, clock: datetime
) -> datetime:
    owner = data.owners[(account_id - 1) // ACCOUNTS_PER_OWNER]["owner"]
    currency = rng.choice(CURRENCIES)
    amounts = [rng.randrange(100, 50_000) for _ in range(payments)]
    balance = sum(amounts) + rng.randrange(10_000, 1_000_000)
    data.accounts.append((account_id, owner, currency, 0, "active", f"Account {account_id}", clock))
    data.ledger.append((account_id, balance, "deposit", None, balance, clock))
    for amount in amounts:
        clock += timedelta(milliseconds=rng.randrange(1, 500))
        balance -= amount
        payment_id = f"pay_{rng.getrandbits(96):024x}"
        refunded = amount // 2 if rng.random() < 0.1 else 0
        status = "partially_refunded" if refunded else "succeeded"
        merchant = rng.choice(MERCHANTS)
        data.payments.append(
            (payment_id, account_id, amount, currency, merchant, None, status, refunded, clock)
        )
        data.ledger.append((account_id, -amount, "payment", payment_id, balance, clock))
        if refunded:
            clock += timedelta(milliseconds=rng.randrange(1, 500))
            balance += refunded
            refund_id = f"re_{rng.getrandbits(96):024x}"
            data.refunds.append((refund_id, payment_id, refunded, "customer request", clock))
            data.ledger.append((account_id, refunded, "refund", refund_id, balance, clock))
    final = data.accounts[-1]
    data.accounts[-1] = (*final[:3], balance, *final[4:])
    return clock


def write_dataset(url: str, data: Dataset, reset: bool = False) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        if reset:
            cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        for owner in data.owners:
            cur.execute(
                "INSERT INTO api_keys (key_hash, owner, label) VALUES (%s, %s, 'seed')",
                (hash_api_key(owner["api_key"]), owner["owner"]),
            )
            cur.execute(
                "INSERT INTO users (username, password_hash, owner) VALUES (%s, %s, %s)",
                (owner["username"], _seed_password_hash(owner["password"]), owner["owner"]),
            )
        _copy(cur, "accounts", _ACCOUNT_COLUMNS, data.accounts)
        _copy(cur, "payments", _PAYMENT_COLUMNS, data.payments)
        _copy(cur, "refunds", _REFUND_COLUMNS, data.refunds)
        _copy(cur, "ledger_entries", _LEDGER_COLUMNS, data.ledger)
        cur.execute("SELECT setval('accounts_id_seq', GREATEST((SELECT max(id) FROM accounts), 1))")


def _seed_password_hash(password: str) -> str:
    # werkzeug's default (scrypt) costs ~50 ms a hash: 1,000 seeded owners would take a
    # minute. Seeded logins are demo data; real users keep the default method.
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


_ACCOUNT_COLUMNS = ("id", "owner", "currency", "balance_cents", "status", "nickname", "created_at")
_PAYMENT_COLUMNS = (
    "id",
    "account_id",
    "amount_cents",
    "currency",
    "merchant",
    "description",
    "status",
    "refunded_cents",
    "created_at",
)
_REFUND_COLUMNS = ("id", "payment_id", "amount_cents", "reason", "created_at")
_LEDGER_COLUMNS = (
    "account_id",
    "amount_cents",
    "kind",
    "ref_id",
    "balance_after_cents",
    "created_at",
)


def _copy(cur: Any, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(value) for value in row) + "\n")
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def write_credentials(path: Path, data: Dataset) -> None:
    """Write the seeded owners' API keys and logins where tests and the demo read them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"owners": data.owners}, indent=2) + "\n")

from __future__ import annotations

from payments_demo.seed import build_dataset, write_dataset
from tests.conftest import Database, assert_money_invariants


def test_same_seed_gives_same_rows() -> None:
    first = build_dataset(accounts=25, seed=3, payments_per_account=4)
    second = build_dataset(accounts=25, seed=3, payments_per_account=4)
    other = build_dataset(accounts=25, seed=4, payments_per_account=4)
    assert first == second
    assert first.owners != other.owners


def test_seeded_rows_keep_the_money_invariants(db: Database) -> None:
    data = build_dataset(accounts=40, seed=1, payments_per_account=5)
    write_dataset(db.url, data)
    assert db.scalar("SELECT count(*) FROM accounts") == 40
    assert db.scalar("SELECT count(*) FROM payments") == 200
    assert db.scalar("SELECT count(DISTINCT owner) FROM api_keys") == 4
    assert_money_invariants(db)


def test_reset_replaces_rows(db: Database) -> None:
    data = build_dataset(accounts=5, seed=1)
    write_dataset(db.url, data)
    write_dataset(db.url, data, reset=True)
    assert db.scalar("SELECT count(*) FROM accounts") == 5

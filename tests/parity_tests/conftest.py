"""Fixtures of the parity harness tests: the reference apps over the session database."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from parity_tests.cases import ParityCase, load_cases
from parity_tests.harness import RunOptions
from parity_tests.results import ParityResult
from parity_tests.runner import run_cases
from payments_demo import CASES
from payments_demo.pair import reference_pair
from payments_demo.seed import TABLES
from tests.conftest import Database

COUNTED = (*TABLES, "parity_change_log")


def row_counts(db: Database) -> dict[str, int]:
    return {table: int(db.scalar(f"SELECT count(*) FROM {table}")) for table in COUNTED}


@pytest.fixture(scope="module")
def parity_db(database_url: str) -> Any:
    database = Database(database_url)
    database.truncate()
    yield database
    database.close()


@pytest.fixture(scope="module")
def reference_cases() -> list[ParityCase]:
    return load_cases(CASES)


@pytest.fixture
def run_parity(parity_db: Database) -> Callable[..., list[ParityResult]]:
    def run(
        cases: Sequence[ParityCase], wrap_new: Any = None, noise: bool = True
    ) -> list[ParityResult]:
        pair = reference_pair(wrap_new)
        return run_cases(cases, pair, CASES, RunOptions(noise=noise), last_run=None)

    return run


def rewrite_json(body: bytes, change: Callable[[Any], Any]) -> bytes:
    return json.dumps(change(json.loads(body))).encode()

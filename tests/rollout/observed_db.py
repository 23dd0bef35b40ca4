"""A test database with the observability tables (windows, guard state, audit log) empty."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Database

OBSERVED_TABLES = "route_windows, route_window_totals, guard_state, guard_leader, audit_log"


@pytest.fixture
def observed_db(flag_db: Database) -> Iterator[Database]:
    flag_db.execute(f"TRUNCATE {OBSERVED_TABLES} RESTART IDENTITY")
    yield flag_db


class FakeClock:
    """Time the test moves by hand: windows, holds and step starts follow it."""

    def __init__(self, start: float) -> None:
        self.now = start - start % 10  # the start of a window

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

"""The rollout tests' fixtures live in ``tests/fixtures/rollout.py`` (registered once in
``tests/conftest.py``); the helpers are re-exported here for the tests that import them."""

from __future__ import annotations

from tests.fixtures.rollout import free_port, wait_until

__all__ = ["free_port", "wait_until"]

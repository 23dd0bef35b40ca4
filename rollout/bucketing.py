"""Unleash's sticky bucketing, bit for bit, so that the SDK and our snapshot agree on every caller.

Example:
    >>> normalized_hash("route.get.api.v1.me", "org_1")
    18
    >>> in_rollout(25, "route.get.api.v1.me", "org_1")
    True
"""

from __future__ import annotations

import mmh3


def normalized_hash(group_id: str, value: str, modulus: int = 100, seed: int = 0) -> int:
    return int(mmh3.hash(f"{group_id}:{value}", seed, signed=False)) % modulus + 1


def in_rollout(percent: int, group_id: str, value: str | None) -> bool:
    """A missing stickiness value is never in the rollout (as Unleash's flexibleRollout)."""
    if percent <= 0 or value is None:
        return False
    return percent >= 100 or normalized_hash(group_id, value) <= percent

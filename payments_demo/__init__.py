"""The reference migration as a project: the payments schema, its seed data, its parity
cases and app pair, and the demo (``make demo``, ``python -m payments_demo``).

It lives in this repository only, beside ``legacy_flask`` and ``fastapi_app``, and is
loaded from its folder exactly as a user's project is (``strangler.toml`` at the
repository's root names each piece); the wheel holds none of it.

Use it to try Strangler on a real app before pointing it at yours, and as the example of
what a project supplies: its apps, its identity resolver, its parity cases and pair.

Example:
    >>> from payments_demo.seed import build_dataset
    >>> len(build_dataset(accounts=3, seed=7).accounts)
    3
"""

from __future__ import annotations

from pathlib import Path

CASES = Path(__file__).parent / "cases"  # the parity cases and their _world.json

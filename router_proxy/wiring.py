"""Attach the rollout machinery to a built router: the shadow runner (comparator rules
from ``[compare."KEY"]``, the parity ledger) and API-key owner lookups, each closed at
lifespan shutdown.

Both need the apps' database (``DATABASE_URL``); without it the shadow still compares and
counts, but nothing is stored, and canary stickiness falls back to the key's hash.

Example:
    router = build_app(settings, provider)
    attach_rollout(router, settings, load_rules(raw_toml))
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from rollout.compare import CompareRules
from rollout.ledger import ParityLedger
from router_proxy.config import Settings
from router_proxy.dispatch import RouterApp
from router_proxy.owners import OwnerDirectory
from router_proxy.shadow import ShadowLimits, ShadowRunner


def attach_rollout(
    router: RouterApp, settings: Settings, rules: Mapping[str, CompareRules]
) -> ShadowRunner:
    url = settings.database_url
    limits = ShadowLimits(
        settings.shadow_concurrency, settings.shadow_timeout, settings.shadow_max_body_bytes
    )
    runner = ShadowRunner(
        router.backends, router.stats, limits, rules, ParityLedger(url) if url else None
    )
    router.shadow_hook = runner
    router.closers.append(runner.aclose)
    if url:
        owners = OwnerDirectory(url)
        router.owners = owners

        async def close_owners() -> None:
            await asyncio.to_thread(owners.close)

        router.closers.append(close_owners)
    return runner

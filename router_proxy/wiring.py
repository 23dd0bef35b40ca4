"""Attach the rollout machinery to a built router: the shadow (comparator rules from
``[compare."KEY"]``, the parity ledger) and API-key owner lookups, each started and closed
with the lifespan.

The shadow runs in a worker process at idle CPU priority (``shadow_isolation =
"process"``, the default) or on the router's own loop (``"loop"``: for apps given as
objects, which a second process cannot import). Both need the apps' database
(``DATABASE_URL``) for the ledger; without it the shadow still compares and counts, but
nothing is stored, and canary stickiness falls back to the key's hash.

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
from router_proxy.shadow_process import ShadowProcess


def attach_rollout(
    router: RouterApp,
    settings: Settings,
    rules: Mapping[str, CompareRules],
    refresh_interval: float = 1.0,
) -> ShadowRunner | ShadowProcess:
    """``refresh_interval``: the flags' (``[flags] refresh_interval``); a revoked API key
    stops routing as its owner within it."""
    runner = _shadow(router, settings, rules)
    router.shadow_hook = runner
    router.closers.append(runner.aclose)
    if settings.database_url:
        _attach_owners(router, OwnerDirectory(settings.database_url), refresh_interval)
    return runner


def _attach_owners(router: RouterApp, owners: OwnerDirectory, refresh_interval: float) -> None:
    router.owners = owners
    watching: list[asyncio.Task[None]] = []

    async def watch() -> None:
        loop = asyncio.get_running_loop()
        watching.append(loop.create_task(owners.watch_revocations(refresh_interval)))

    async def close_owners() -> None:
        for task in watching:
            task.cancel()
        await asyncio.gather(*watching, return_exceptions=True)
        await asyncio.to_thread(owners.close)

    router.starters.append(watch)
    router.closers.append(close_owners)


def _shadow(
    router: RouterApp, settings: Settings, rules: Mapping[str, CompareRules]
) -> ShadowRunner | ShadowProcess:
    limits = ShadowLimits(
        settings.shadow_concurrency,
        settings.shadow_timeout,
        settings.shadow_max_body_bytes,
        max_inflight=settings.shadow_max_inflight,
    )
    # No new app, nothing to copy to: no worker process (and its memory) for nothing.
    if settings.shadow_isolation == "process" and settings.new_app:
        process = ShadowProcess(settings, router.stats, limits, rules)
        router.starters.append(process.start)
        return process
    url = settings.database_url
    ledger = ParityLedger(url) if url else None
    return ShadowRunner(router.backends, router.stats, limits, rules, ledger)

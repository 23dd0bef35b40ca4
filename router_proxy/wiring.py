"""Attach the rollout machinery to a router being assembled: the shadow (comparator rules
from ``[compare."KEY"]``, the parity ledger) and API-key owner lookups, each started and
closed with the lifespan.

The shadow runs in a worker process at idle CPU priority (``shadow_isolation =
"process"``, the default) or on the router's own loop (``"loop"``: for apps given as
objects, which a second process cannot import). Both need the apps' database
(``DATABASE_URL``) for the ledger; without it the shadow still compares and counts, but
nothing is stored, and canary stickiness falls back to the key's hash.

Example:
    assembly = assemble(settings, provider)
    attach_rollout(assembly, load_rules(raw_toml))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rollout.evidence.compare import CompareRules
from rollout.evidence.ledger import ParityLedger
from router_proxy.lifespan import closing, started
from router_proxy.shadow import ShadowLimits, ShadowRunner
from router_proxy.shadow_process import ShadowProcess

if TYPE_CHECKING:
    from router_proxy.assembly import Assembly


def attach_rollout(
    assembly: Assembly,
    rules: Mapping[str, CompareRules],
    refresh_interval: float = 1.0,
) -> ShadowRunner | ShadowProcess:
    """``refresh_interval``: the flags' (``[flags] refresh_interval``); a revoked API key
    stops routing as its owner within it."""
    runner = _shadow(assembly, rules)
    assembly.shadow_hook = runner
    return runner


def _shadow(assembly: Assembly, rules: Mapping[str, CompareRules]) -> ShadowRunner | ShadowProcess:
    settings = assembly.settings
    limits = ShadowLimits(
        settings.shadow_concurrency,
        settings.shadow_timeout,
        settings.shadow_max_body_bytes,
        max_inflight=settings.shadow_max_inflight,
    )
    # No new app, nothing to copy to: no worker process (and its memory) for nothing.
    if settings.shadow_isolation == "process" and settings.new_app:
        process = ShadowProcess(settings, assembly.stats, limits, rules)
        assembly.run(started(process.start, process.aclose))
        return process
    url = settings.database_url
    ledger = ParityLedger(url) if url else None
    runner = ShadowRunner(assembly.backends, assembly.stats, limits, rules, ledger)
    assembly.run(closing(runner.aclose))
    return runner

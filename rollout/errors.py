"""The rollout package's exception tree.

RolloutError
├── PlanError        a strangler.toml [routes]/[flags] section that does not parse
│   └── MissingExtra a feature chosen whose optional dependency is not installed
├── LedgerError      the parity ledger could not store a mismatch
├── RouteKeyError    not a 'METHOD /path' route key, or not a route flag name (a ValueError)
├── WindowError      the traffic windows could not be written or read
├── AuditError       an audit event could not be stored
├── GuardError       a rollout step command that cannot apply (no plan, already at the end)
└── ProviderError    a flag provider failed (never raised on the request path)
    └── UnleashUnavailable  node/npm/unleash-server missing, or the server did not start
"""

from __future__ import annotations


class RolloutError(Exception):
    pass


class PlanError(RolloutError):
    pass


class MissingExtra(PlanError):
    """``MissingExtra("flags from Unleash", "unleash")``: says which extra to install."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs an optional extra: pip install 'strangler[{extra}]'")


class ProviderError(RolloutError):
    pass


class RouteKeyError(RolloutError, ValueError):
    pass


class UnleashUnavailable(ProviderError):
    pass


class LedgerError(RolloutError):
    pass


class RecordingError(RolloutError):
    """The traffic recorder's store failed (rollout.traffic.recordings)."""


class WindowError(RolloutError):
    pass


class AuditError(RolloutError):
    pass


class GuardError(RolloutError):
    pass

"""The rollout package's exception tree.

RolloutError
├── PlanError        a strangler.toml [routes]/[flags] section that does not parse
└── ProviderError    a flag provider failed (never raised on the request path)
"""

from __future__ import annotations


class RolloutError(Exception):
    pass


class PlanError(RolloutError):
    pass


class ProviderError(RolloutError):
    pass

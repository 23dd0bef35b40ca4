"""The dashboard's exceptions (part of the rollout exception tree).

RolloutError
└── DashboardError
    ├── DashboardDataError   a source the dashboard reads (ledger, windows, audit) failed
    └── ChangeRejected       a submitted change is not valid (bad mode, percent, route)
        └── NoRolloutPlan    a rollout button for a route without [rollout."KEY"] steps
"""

from __future__ import annotations

from rollout.errors import RolloutError


class DashboardError(RolloutError):
    pass


class DashboardDataError(DashboardError):
    pass


class ChangeRejected(DashboardError, ValueError):
    pass


class NoRolloutPlan(ChangeRejected):
    pass

"""The migration dashboard: where every route stands, both backends side by side, the
latest mismatches and the audit log, with controls that change flags (audited).

Example:
    from rollout.dashboard import DashboardSources, build_dashboard, dashboard_settings
    app = build_dashboard(dashboard_settings(config, os.environ), sources)
"""

from __future__ import annotations

from rollout.dashboard.app import build_dashboard
from rollout.dashboard.settings import DashboardSettings, dashboard_settings
from rollout.dashboard.sources import CoverageCell, DashboardSources

__all__ = [
    "CoverageCell",
    "DashboardSettings",
    "DashboardSources",
    "build_dashboard",
    "dashboard_settings",
]

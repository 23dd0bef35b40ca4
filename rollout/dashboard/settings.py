"""Who may use the dashboard, from ``strangler.toml`` ``[dashboard]`` and the environment.

    [dashboard]
    minutes = 15                      # traffic shown: the last N minutes of windows
    session_hours = 12                # a login lasts this long
    [dashboard.users]                 # optional named logins (werkzeug password hashes):
    alice = "scrypt:32768:8:1$..."    #   python -c 'from werkzeug.security import
                                      #   generate_password_hash as g; print(g("pw"))'
    # the token only from the environment: STRANGLER_DASHBOARD_TOKEN

Two ways in: ``Authorization: Bearer <token>`` (read-only: every change needs a session
and its CSRF token), or the login form, with a configured user and password, or with any
name and the token as password (the audit log then says ``name (token)``). With neither a
token nor users configured, nobody gets in: the dashboard answers 401 and says why.

Example:
    >>> dashboard_settings({}, {"STRANGLER_DASHBOARD_TOKEN": "t0ken-long-enough"}).token
    't0ken-long-enough'
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rollout.errors import PlanError

TOKEN_ENV = "STRANGLER_DASHBOARD_TOKEN"
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    token: str = ""
    users: Mapping[str, str] = field(default_factory=dict)  # name -> werkzeug password hash
    secret: bytes = b""  # signs session cookies; the same in every router process
    minutes: int = 15
    session_seconds: int = 12 * 3600

    @property
    def anyone_can_log_in(self) -> bool:
        return bool(self.token or self.users)


def dashboard_settings(config: Mapping[str, Any], env: Mapping[str, str]) -> DashboardSettings:
    """Raises PlanError on a token that is too short or a malformed table."""
    table = config.get("dashboard", {})
    unknown = set(table) - {"minutes", "session_hours", "users"}
    if unknown:
        raise PlanError(f"[dashboard]: unknown keys {sorted(unknown)}")
    token = env.get(TOKEN_ENV, "")
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise PlanError(f"{TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters")
    users = table.get("users", {})
    if not isinstance(users, Mapping) or not all(isinstance(v, str) for v in users.values()):
        raise PlanError("[dashboard.users] must map user names to password hashes")
    return DashboardSettings(
        token=token,
        users=dict(users),
        secret=_session_secret(env.get("SECRET_KEY", ""), token),
        minutes=_whole(table.get("minutes", 15), "dashboard.minutes"),
        session_seconds=_whole(table.get("session_hours", 12), "dashboard.session_hours") * 3600,
    )


def _session_secret(secret_key: str, token: str) -> bytes:
    # Derived, not reused: a leaked dashboard cookie key must not sign the apps' sessions.
    base = secret_key or token
    if not base:
        return secrets.token_bytes(32)  # nobody can log in anyway
    return hashlib.sha256(b"strangler-dashboard-session\x00" + base.encode()).digest()


def _whole(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PlanError(f"{name} must be a whole number >= 1, not {value!r}")
    return value

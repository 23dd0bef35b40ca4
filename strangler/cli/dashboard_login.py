"""How to log in to the dashboard ``strangler serve`` mounts at ``/_strangler/``, said at
start, as notebook servers do: with no token and no ``[dashboard.users]`` configured, a
token is made once and kept under the project's ``.strangler/`` (the same on every start),
so the dashboard of a user's own app is usable from the first ``strangler serve``.

Example:
    >>> login_lines("http://127.0.0.1:8000", {"dashboard": {"users": {"ada": "scrypt:.."}}}, "")
    ['dashboard: http://127.0.0.1:8000/_strangler/', '  log in as one of [dashboard.users]: ada']
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TOKEN_ENV = "STRANGLER_DASHBOARD_TOKEN"
TOKEN_FILE_NAME = "dashboard_token"


def dashboard_token(state_dir: Path) -> str:
    """STRANGLER_DASHBOARD_TOKEN, else the one made once into ``state_dir``."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    from strangler.devenv import generated_once

    return generated_once(state_dir / TOKEN_FILE_NAME, lambda: secrets.token_urlsafe(24))


def ensure_login(raw: Mapping[str, Any], state_dir: Path) -> str:
    """The token to announce ("" when named users are configured and no token is set);
    sets STRANGLER_DASHBOARD_TOKEN for the router when it made one."""
    users = raw.get("dashboard", {}).get("users", {})
    if users and not os.environ.get(TOKEN_ENV):
        return ""
    token = dashboard_token(state_dir)
    os.environ[TOKEN_ENV] = token
    return token


def login_lines(url: str, raw: Mapping[str, Any], token: str) -> list[str]:
    lines = [f"dashboard: {url}/_strangler/"]
    if token:
        lines.append(f"  log in with any name and the password {token}")
        lines.append(f"  (kept in .strangler/{TOKEN_FILE_NAME}, or ${TOKEN_ENV} when set)")
    else:
        users = ", ".join(sorted(raw.get("dashboard", {}).get("users", {})))
        lines.append(f"  log in as one of [dashboard.users]: {users}")
    return lines

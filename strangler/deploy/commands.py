"""What ``strangler up`` runs: one ``ProcessSpec`` per supervised process, built from the
settings alone (pure, so the command lines are testable without starting anything).

Example:
    >>> from strangler.deploy import UpConfigError
from strangler.deploy.settings import UpSettings
from strangler.unleash_local import node_database_url, unleash_home
    >>> apps = {"apps": {"legacy": "myapp:app", "new": "myapp.asgi:app"}}
    >>> specs = process_specs(UpSettings(), apps, Path("strangler.toml"), None)
    >>> [spec.name for spec in specs]
    ['legacy', 'new', 'router']
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strangler.deploy import UpConfigError
from strangler.deploy.settings import UpSettings
from strangler.unleash_local import node_database_url, unleash_home

# The apps trust forwarding headers from one hop, the router; so they listen on loopback
# only (whatever [up] host the router binds), and the router reaches them from there.
LOOPBACK = "127.0.0.1"
# gunicorn loads our entry (ProxyFix around the app named in LEGACY_APP_VARIABLE), see
# strangler.deploy.legacy_entry; importing that module imports the legacy app.
LEGACY_ENTRY = "strangler.deploy.legacy_entry:app"
LEGACY_APP_VARIABLE = "STRANGLER_LEGACY_APP"


@dataclass(frozen=True)
class UnleashPlan:
    """A local Unleash server on ``database_url`` (see ``strangler.unleash_local``)."""

    database_url: str
    admin_token: str
    client_token: str


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    health_url: str
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    # Which processes must be healthy before this one starts.
    tier: int = 1


def process_specs(
    up: UpSettings,
    config: Mapping[str, Any],
    config_path: Path,
    unleash: UnleashPlan | None,
) -> list[ProcessSpec]:
    apps = config.get("apps", {})
    if not apps.get("legacy") or not apps.get("new"):
        raise UpConfigError('[apps]: name both apps, legacy = "module:app", new = "module:app"')
    legacy, new = str(apps["legacy"]), str(apps["new"])
    specs = [
        legacy_spec(up, legacy),
        new_spec(up, new),
        router_spec(up, config_path, unleash, (legacy, new)),
    ]
    return ([unleash_spec(up, unleash)] if unleash else []) + specs


def legacy_spec(up: UpSettings, app: str) -> ProcessSpec:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        *(["--config", up.legacy_config] if up.legacy_config else []),
        "--bind",
        f"{LOOPBACK}:{up.legacy_port}",
        "--workers",
        str(up.legacy_workers),
        "--worker-class",
        up.legacy_worker_class,
        "--graceful-timeout",
        str(round(up.drain_seconds)),
    ]
    if up.legacy_worker_class == "gthread":
        argv += ["--threads", str(up.legacy_threads)]
    if not up.access_log:
        argv += ["--access-logfile", "/dev/null"]
    # Our entry wraps the app in ProxyFix: gunicorn itself ignores X-Forwarded-For (A4).
    env = {LEGACY_APP_VARIABLE: app}
    return ProcessSpec("legacy", (*argv, LEGACY_ENTRY), _app_url(up.legacy_port) + "/healthz", env)


def new_spec(up: UpSettings, app: str) -> ProcessSpec:
    # The client address and scheme the router resolved, from the router only (A4).
    trust_router = ["--proxy-headers", "--forwarded-allow-ips", LOOPBACK]
    argv = [*_uvicorn(up, LOOPBACK, up.new_port, up.new_workers), *trust_router, app]
    return ProcessSpec("new", tuple(argv), _app_url(up.new_port) + "/healthz")


def router_spec(
    up: UpSettings,
    config_path: Path,
    unleash: UnleashPlan | None,
    apps: tuple[str, str],
) -> ProcessSpec:
    """``apps``: the two import strings the router builds its route table from, the same
    that gunicorn and uvicorn serve."""
    # Not uvicorn's command line: it cannot take the protocol class that gives a request
    # uvicorn cannot parse the router's JSON 400 (strangler.deploy.router_server).
    argv = [
        sys.executable,
        "-m",
        "strangler.deploy.router_server",
        "--host",
        up.host,
        "--port",
        str(up.router_port),
        "--workers",
        str(up.router_workers),
        "--timeout-graceful-shutdown",
        str(round(up.drain_seconds)),
        "--log-level",
        "info" if up.access_log else "warning",
    ]
    env = {
        "STRANGLER_CONFIG": str(config_path),
        "STRANGLER_MODE": "remote",
        "STRANGLER_LEGACY_APP": apps[0],
        "STRANGLER_NEW_APP": apps[1],
        "STRANGLER_LEGACY_URL": _app_url(up.legacy_port),
        "STRANGLER_NEW_URL": _app_url(up.new_port),
        "STRANGLER_LOG_LEVEL": "INFO" if up.access_log else "WARNING",
    }
    if unleash:
        env |= {
            "STRANGLER_FLAGS": "unleash",
            "UNLEASH_URL": up.url(up.unleash_port),
            "UNLEASH_CLIENT_TOKEN": unleash.client_token,
        }
    health = up.url(up.router_port) + "/_strangler/healthz"
    return ProcessSpec("router", tuple(argv), health, env, tier=2)


def unleash_spec(up: UpSettings, unleash: UnleashPlan) -> ProcessSpec:
    env = {
        "SEND_TELEMETRY": "false",
        "CHECK_VERSION": "false",
        "UNLEASH_DATABASE_URL": node_database_url(unleash.database_url),
        "UNLEASH_PORT": str(up.unleash_port),
        "UNLEASH_ADMIN_TOKEN": unleash.admin_token,
        "UNLEASH_CLIENT_TOKEN": unleash.client_token,
    }
    argv = ("node", "server.js")
    health = up.url(up.unleash_port) + "/health"
    return ProcessSpec("unleash", argv, health, env, unleash_home(), 0)


def _app_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}"


def _uvicorn(up: UpSettings, host: str, port: int, workers: int) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--timeout-graceful-shutdown",
        str(round(up.drain_seconds)),
    ]
    return argv if up.access_log else [*argv, "--no-access-log", "--log-level", "warning"]

"""Router settings from one place: ``strangler.toml`` ``[apps]``/``[router]``, then the
environment, then command-line overrides (later wins).

Example:
    >>> s = load_settings({"apps": {"legacy": "myapp.wsgi:app"}}, env={}, overrides={})
    >>> (s.legacy_app, s.mode, s.wsgi_threads)
    ('myapp.wsgi:app', 'inprocess', 10)
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router_proxy.errors import ConfigError
from router_proxy.identity import IdentitySettings, load_identity

ACCESS_LOG_MODES = ("all", "errors", "off")  # router_proxy.logs.AccessLog
SHADOW_ISOLATIONS = ("process", "loop")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# environment variable -> settings field
ENV_NAMES = {
    "STRANGLER_LEGACY_APP": "legacy_app",
    "STRANGLER_NEW_APP": "new_app",
    "STRANGLER_MODE": "mode",
    "STRANGLER_LEGACY_URL": "legacy_url",
    "STRANGLER_NEW_URL": "new_url",
    "STRANGLER_WSGI_THREADS": "wsgi_threads",
    "STRANGLER_POOL_WAIT_SECONDS": "pool_wait_seconds",
    "STRANGLER_MAX_BODY_BYTES": "max_body_bytes",
    "STRANGLER_COPY_MAX_BODY_BYTES": "shadow_max_body_bytes",
    "STRANGLER_TRUSTED_PROXIES": "trusted_proxies",
    "STRANGLER_ACCESS_LOG": "access_log",
    "STRANGLER_SHADOW_ISOLATION": "shadow_isolation",
    "STRANGLER_SHADOW_CPUS": "shadow_cpus",
    "STRANGLER_SHADOW_MAX_INFLIGHT": "shadow_max_inflight",
    "SECRET_KEY": "secret_key",
    "DATABASE_URL": "database_url",
}


@dataclass(frozen=True, slots=True)
class Settings:
    # The legacy WSGI app by import string: none by default (the router never assumes one).
    legacy_app: str = ""
    # Route keys of a legacy app without a url_map (a WSGI dispatcher, or remote mode with
    # no app to import): ``[apps] legacy_routes = ["GET /objects/{key:path}", ...]``.
    legacy_routes: tuple[str, ...] = ()
    # No default: with no new app named, legacy serves every route (``make demo`` and
    # this repository's strangler.toml name the reference port).
    new_app: str = ""
    mode: str = "inprocess"  # or "remote"
    legacy_url: str = "http://127.0.0.1:8001"
    new_url: str = "http://127.0.0.1:8002"
    legacy_health_path: str = "/healthz"
    new_health_path: str = "/healthz"
    # Default: the SQLAlchemy pool size, so a thread never waits for a connection.
    wsgi_threads: int = 10
    # How long a request waits for a legacy thread before 503 (0: as long as it takes).
    pool_wait_seconds: float = 5.0
    # 0: the router sets no body limit of its own (the apps' own apply; bodies stream).
    max_body_bytes: int = 0
    max_header_bytes: int = 64 * 1024
    max_header_fields: int = 100
    trusted_proxies: tuple[IPNetwork, ...] = ()
    secret_key: str = ""
    session_cookie: str = "session"
    connect_timeout: float = 2.0
    # The new side's time to start answering a request that may fall back to legacy
    # (router_proxy.fallback); past it, legacy answers.
    fallback_timeout: float = 5.0
    read_timeout: float = 30.0
    upstream_pool_size: int = 100
    circuit_failures: int = 5
    circuit_reset_seconds: float = 30.0
    # The apps' database: API key -> owner for sticky canaries, and the parity ledger.
    database_url: str = ""
    shadow_concurrency: int = 8  # copies in flight; more are dropped, never queued
    shadow_timeout: float = 2.0
    # The cap of every copy the router keeps (shadow, recorder, fallback), request and
    # response: past it the body streams and the copy is skipped.
    shadow_max_body_bytes: int = 256 * 1024
    # Copies only while fewer client requests than this are in flight (else dropped: busy).
    shadow_max_inflight: int = 64
    # "process": copies run in a worker process at idle CPU priority (router_proxy.shadow_process);
    # "loop": on the router's own event loop (apps given as objects, not import strings).
    shadow_isolation: str = "process"
    # CPUs the worker may use (default: the router's); keep it off the router's core.
    shadow_cpus: tuple[int, ...] = ()
    # The traffic recorder keeps this many of each route's newest samples (router_proxy.recorder).
    record_max_rows: int = 200
    # ... and stores at most this many samples of a route a second (the rest: "limited").
    record_max_per_second: float = 10.0
    # The router's JSON access line: "all", "errors" (status >= 500) or "off" (router_proxy.logs).
    access_log: str = "all"
    identity: IdentitySettings = field(default_factory=IdentitySettings)  # [identity]


FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "identity"}
# Settings where 0 means "none of the router's own": no body limit, no bounded pool wait.
ZERO_MEANS_NONE = frozenset({"max_body_bytes", "pool_wait_seconds"})


def load_settings(
    toml: Mapping[str, Any], env: Mapping[str, str], overrides: Mapping[str, Any]
) -> Settings:
    raw: dict[str, Any] = {}
    apps = toml.get("apps", {})
    unknown_apps = set(apps) - {"legacy", "new", "legacy_routes"}
    if unknown_apps:
        raise ConfigError(f"[apps]: unknown keys {sorted(unknown_apps)}")
    named = {
        "legacy_app": apps.get("legacy"),
        "new_app": apps.get("new"),
        "legacy_routes": apps.get("legacy_routes"),
    }
    raw.update({k: v for k, v in named.items() if v})
    raw.update(_known("router", toml.get("router", {})))
    raw.update({field_name: env[name] for name, field_name in ENV_NAMES.items() if env.get(name)})
    raw.update({k: v for k, v in overrides.items() if v is not None})
    coerced = {name: _coerce(name, value) for name, value in raw.items()}
    return Settings(**coerced, identity=load_identity(toml))


def _known(section: str, table: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(table) - set(FIELDS)
    if unknown:
        raise ConfigError(f"[{section}]: unknown keys {sorted(unknown)}")
    return dict(table)


def _coerce(name: str, value: Any) -> Any:
    if name == "trusted_proxies":
        return _networks(value)
    if name == "legacy_routes":
        return _route_keys(value)
    if name == "shadow_cpus":
        return _cpus(value)
    if name == "mode" and value not in ("inprocess", "remote"):
        raise ConfigError(f"mode must be 'inprocess' or 'remote', not {value!r}")
    if name == "access_log" and value not in ACCESS_LOG_MODES:
        raise ConfigError(f"access_log must be one of {ACCESS_LOG_MODES}, not {value!r}")
    if name == "shadow_isolation" and value not in SHADOW_ISOLATIONS:
        raise ConfigError(f"shadow_isolation must be one of {SHADOW_ISOLATIONS}, not {value!r}")
    kind: type = type(FIELDS[name].default)
    try:
        coerced = kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}") from exc
    if kind in (int, float) and (coerced < 0 if name in ZERO_MEANS_NONE else coerced <= 0):
        raise ConfigError(f"{name}: must be positive, got {value!r}")
    return coerced


def _networks(value: Any) -> tuple[IPNetwork, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item)
    except ValueError as exc:
        raise ConfigError(f"trusted_proxies: {exc}") from exc


def _cpus(value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        cpus = tuple(int(str(item).strip()) for item in items if str(item).strip())
    except ValueError as exc:
        raise ConfigError(f"shadow_cpus: expected CPU numbers, got {value!r}") from exc
    if any(cpu < 0 for cpu in cpus):
        raise ConfigError(f"shadow_cpus: CPU numbers are >= 0, got {value!r}")
    return cpus


def _route_keys(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"legacy_routes: a list of 'METHOD /path' keys, not {value!r}")
    keys = tuple(item.strip() for item in items if item.strip())
    for key in keys:
        method, _, path = key.partition(" ")
        if not method.isalpha() or not method.isupper() or not path.startswith("/"):
            raise ConfigError(f"legacy_routes: {key!r} is not 'METHOD /path' (GET /a/{{id}})")
    return keys

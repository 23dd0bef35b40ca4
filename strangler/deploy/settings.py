"""``strangler up`` settings: ports, worker counts and drain time, from ``strangler.toml``
``[up]`` then command-line overrides (later wins).

    [up]
    host = "127.0.0.1"             # the router's; legacy and new always listen on loopback
    router_port = 8000
    legacy_port = 8001
    new_port = 8002
    unleash_port = 4242
    legacy_workers = 2
    legacy_worker_class = "sync"   # or "gthread" (then legacy_threads per worker)
    legacy_threads = 4
    new_workers = 2
    router_workers = 2
    drain_seconds = 15             # in-flight requests get this long on Ctrl-C / SIGTERM
    liveness_seconds = 30          # a process failing its health check this long is restarted

Example:
    >>> s = load_up_settings({"up": {"legacy_worker_class": "gthread"}}, {"new_workers": 3})
    >>> (s.legacy_worker_class, s.new_workers, s.router_port)
    ('gthread', 3, 8000)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strangler.deploy import UpConfigError

WORKER_CLASSES = ("sync", "gthread")


@dataclass(frozen=True, slots=True)
class UpSettings:
    host: str = "127.0.0.1"
    router_port: int = 8000
    legacy_port: int = 8001
    new_port: int = 8002
    unleash_port: int = 4242
    legacy_workers: int = 2
    legacy_worker_class: str = "sync"
    legacy_threads: int = 4
    new_workers: int = 2
    router_workers: int = 2
    drain_seconds: float = 15.0
    liveness_seconds: float = 30.0  # alive but failing its health check this long: restarted
    access_log: bool = True  # off for benchmarks: a log line per request costs CPU
    # gunicorn's --config for the legacy app ("python:myapp.gunicorn_conf"); "": its defaults
    legacy_config: str = ""

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"


FIELDS = {field.name: field for field in dataclasses.fields(UpSettings)}


def load_up_settings(toml: Mapping[str, Any], overrides: Mapping[str, Any]) -> UpSettings:
    table = dict(toml.get("up", {}))
    unknown = set(table) - set(FIELDS)
    if unknown:
        raise UpConfigError(f"[up]: unknown keys {sorted(unknown)}")
    table.update({key: value for key, value in overrides.items() if value is not None})
    settings = UpSettings(**{key: _coerce(key, value) for key, value in table.items()})
    _check(settings)
    return settings


def _coerce(name: str, value: Any) -> Any:
    kind: type = type(FIELDS[name].default)
    if kind is bool:
        if not isinstance(value, bool):
            raise UpConfigError(f"[up] {name}: expected true or false, got {value!r}")
        return value
    try:
        coerced = kind(value)
    except (TypeError, ValueError) as exc:
        raise UpConfigError(f"[up] {name}: expected {kind.__name__}, got {value!r}") from exc
    if kind in (int, float) and coerced <= 0:
        raise UpConfigError(f"[up] {name}: must be positive, got {value!r}")
    return coerced


def _check(settings: UpSettings) -> None:
    if settings.legacy_worker_class not in WORKER_CLASSES:
        raise UpConfigError(
            f"[up] legacy_worker_class must be one of {', '.join(WORKER_CLASSES)},"
            f" not {settings.legacy_worker_class!r}"
        )
    ports = [settings.router_port, settings.legacy_port, settings.new_port, settings.unleash_port]
    if len(set(ports)) != len(ports):
        raise UpConfigError(f"[up]: ports must differ, got {ports}")

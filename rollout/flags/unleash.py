"""Flags from a real Unleash server, fetched by the official Python SDK.

The SDK (``UnleashClient``) polls ``/api/client/features`` every ``refresh_interval``
seconds; each fetched payload is compiled into a Snapshot (see
``rollout.flags.unleash_compile``) and swapped in whole. The request path never calls
``is_enabled`` (about 30 us per call); ``decide()`` evaluates the compiled snapshot with
the same hash, so both answer identically for every caller.

- server down at boot: a bootstrap file (the ``/api/client/features`` format) serves,
  else all-legacy; down mid-run: the last fetched state stays;
- 401/403 on a fetch: polling stops (a wrong token does not fix itself) and
  ``health()`` says so;
- writes go through ``rollout.flags.unleash_admin.UnleashAdmin``.

Example:
    >>> provider = UnleashProvider("http://127.0.0.1:4242", "default:development.secret")
    >>> provider.start()  # doctest: +SKIP
    >>> provider.health()["state"]  # doctest: +SKIP
    'ok'
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from UnleashClient.cache import FileCache
from UnleashClient.clients.unleash_client import UnleashClient
from UnleashClient.constants import FEATURES_URL
from UnleashClient.events import BaseEvent, UnleashEventType
from UnleashClient.utils import InstanceAllowType

from rollout.flags.bootstrap import ALL_LEGACY
from rollout.flags.unleash_compile import compile_features
from rollout.types import Snapshot

log = logging.getLogger(__name__)


class UnleashProvider:
    def __init__(
        self,
        url: str,
        client_token: str,
        *,
        app_name: str = "strangler-router",
        environment: str = "development",
        refresh_interval: int = 15,
        request_timeout: int = 5,
        cache_directory: Path | None = None,
        bootstrap: Path | None = None,
        stale_after: float | None = None,
    ) -> None:
        self._url = url.rstrip("/") + "/api"
        self._token = client_token
        self._app_name = app_name
        self._environment = environment
        self._refresh_interval = refresh_interval
        self._request_timeout = request_timeout
        self._cache_directory = cache_directory
        self._bootstrap = bootstrap
        self._client: Any = None
        self._snapshot = ALL_LEGACY
        self._version = 0
        self._state = "stopped"
        self._detail = ""
        self._last_fetch: float | None = None
        self._stale_after = stale_after or max(3.0 * refresh_interval, 5.0)
        self.fetches = 0  # answered feature fetches; tests watch it

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def start(self) -> None:
        """Blocks for at most one fetch (``request_timeout``); never raises."""
        if self._client is not None:
            return
        cache = self._cache()
        self._client = UnleashClient(
            url=self._url,
            app_name=self._app_name,
            environment=self._environment,
            refresh_interval=self._refresh_interval,
            request_timeout=self._request_timeout,
            request_retries=0,
            disable_metrics=True,
            disable_registration=True,
            custom_headers={"Authorization": self._token},
            custom_options={"hooks": {"response": [self._on_response]}},
            cache=cache,
            multiple_instance_mode=InstanceAllowType.SILENTLY_ALLOW,
            event_callback=self._on_event,
        )
        self._state = "starting"
        self._compile_cached(cache, source="bootstrap" if self._bootstrap else "cache")
        try:
            self._client.initialize_client()
        except Exception as exc:  # the SDK raises bare Exceptions for a bad URL
            self._mark("degraded", f"unleash client failed to start ({type(exc).__name__})")
        if self._state == "unauthorized":
            # The first fetch ran inside initialize_client, before the poll job existed.
            self._stop_polling()

    def stop(self) -> None:
        if self._client is not None:
            self._client.destroy()
            self._client = None
        self._state = "stopped"

    def health(self) -> dict[str, str]:
        age = None if self._last_fetch is None else time.monotonic() - self._last_fetch
        state, detail = self._state, self._detail
        if state == "ok" and age is not None and age > self._stale_after:
            # A refused connection never reaches the response hook: notice by silence.
            state, detail = "degraded", "no successful fetch lately; serving last known state"
        return {
            "provider": "unleash",
            "state": state,
            "source": self._snapshot.source,
            "version": str(self._snapshot.version),
            "seconds_since_fetch": "never" if age is None else f"{age:.1f}",
            "detail": detail,
        }

    def _cache(self) -> FileCache:
        # A fresh directory unless told otherwise: FileCache outlives the client on disk.
        directory = self._cache_directory or Path(tempfile.mkdtemp(prefix="strangler-unleash-"))
        cache = FileCache(self._app_name, directory=str(directory))
        if self._bootstrap is not None:
            try:
                cache.bootstrap_from_file(self._bootstrap)
            except OSError as exc:
                log.error("unleash bootstrap file unreadable: %s", exc.strerror)
        return cache

    def _compile_cached(self, cache: FileCache, source: str) -> None:
        raw = cache.get(FEATURES_URL)
        if raw:
            self._install(raw, source)

    def _install(self, raw_features: str, source: str) -> None:
        try:
            features = json.loads(raw_features)["features"]
            self._version += 1
            self._snapshot = compile_features(features, source, self._version)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("unleash features not compiled, keeping the last snapshot: %s", exc)

    def _on_event(self, event: BaseEvent) -> None:
        # The SDK calls this on its own dispatcher thread, once per 200 fetch.
        raw = getattr(event, "raw_features", None)
        if event.event_type is UnleashEventType.FETCHED and raw:
            self._install(raw, "unleash")

    def _on_response(self, response: Any, *args: Any, **kwargs: Any) -> None:
        # A requests hook on every SDK call: the SDK itself only logs the status.
        if not response.request.path_url.split("?")[0].endswith(FEATURES_URL):
            return
        self.fetches += 1
        if response.status_code in (200, 304):
            self._last_fetch = time.monotonic()
            self._mark("ok", "")
        elif response.status_code in (401, 403):
            self._mark(
                "unauthorized",
                f"unleash refused the token ({response.status_code});"
                " polling stopped, serving last known state",
            )
            threading.Thread(target=self._stop_polling, daemon=True).start()
        else:
            self._mark("degraded", f"unleash answered {response.status_code}")

    def _stop_polling(self) -> None:
        client = self._client
        connector = getattr(client, "connector", None)
        if connector is not None:
            connector.stop()

    def _mark(self, state: str, detail: str) -> None:
        if self._state == "unauthorized" and state != "stopped":
            return  # sticky until restarted with a new token
        if state != self._state:
            log.log(
                logging.INFO if state == "ok" else logging.WARNING,
                "unleash flags: %s %s",
                state,
                detail,
            )
        self._state, self._detail = state, detail

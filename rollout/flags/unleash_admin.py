"""Changes route flags and the kill switch through the Unleash admin API (the CLI's side).

Each write is what a person would do in the Unleash UI: create the flag if missing,
create or replace its ``flexibleRollout`` strategy (parameters as documented in
``rollout.flags.unleash_compile``), then switch the environment on or off. The SDKs
see the change on their next poll.

Example:
    >>> admin = UnleashAdmin("http://127.0.0.1:4242", "*:*.secret")
    >>> admin.set_kill_switch(True)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import httpx

from rollout.errors import ProviderError
from rollout.flags.unleash_compile import compile_features, strategy_parameters
from rollout.naming import KILL_SWITCH_FLAG, route_flag_name
from rollout.types import Mode, RouteFlag, Snapshot


class UnleashAdmin:
    def __init__(
        self,
        url: str,
        admin_token: str,
        *,
        project: str = "default",
        environment: str = "development",
        timeout: float = 5.0,
    ) -> None:
        self._project = f"/api/admin/projects/{project}/features"
        self._environment = environment
        self._http = httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": admin_token}, timeout=timeout
        )

    def close(self) -> None:
        self._http.close()

    def set_flag(self, route_key: str, flag: RouteFlag, actor: str = "cli") -> None:
        name = route_flag_name(route_key)
        self._ensure_flag(name, description=route_key)
        self._put_rollout_strategy(name, strategy_parameters(name, flag))
        # Legacy with no shadow is Unleash's "off": the UI then shows the route rolled back.
        self._switch(name, on=not (flag.mode is Mode.LEGACY and flag.shadow_sample == 0))

    def delete_flag(self, route_key: str, actor: str = "cli") -> None:
        # Unleash archives a deleted flag and keeps its name taken; deleting it from the
        # archive too lets the route be flagged again later under the same name.
        name = route_flag_name(route_key)
        self._request("DELETE", f"{self._project}/{name}", missing_ok=True)
        self._request("DELETE", f"/api/admin/archive/{name}", missing_ok=True)

    def set_kill_switch(self, enabled: bool, actor: str = "cli") -> None:
        self._ensure_flag(KILL_SWITCH_FLAG, description="strangler: every route to legacy")
        if not self._strategies(KILL_SWITCH_FLAG):
            self._put_rollout_strategy(
                KILL_SWITCH_FLAG, {"rollout": "100", "stickiness": "default", "groupId": ""}
            )
        self._switch(KILL_SWITCH_FLAG, on=enabled)

    def read_state(self) -> Snapshot:
        names = [f["name"] for f in self._request("GET", self._project).get("features", [])]
        return compile_features((self._client_view(name) for name in names), "unleash-admin")

    def _client_view(self, name: str) -> dict[str, Any]:
        environment = self._feature_environment(name)
        return {
            "name": name,
            "enabled": bool(environment.get("enabled")),
            "strategies": environment.get("strategies", []),
        }

    def _ensure_flag(self, name: str, description: str) -> None:
        if self._request("GET", f"{self._project}/{name}", missing_ok=True) is None:
            body = {"name": name, "type": "release", "description": description}
            self._request("POST", self._project, json=body)

    def _put_rollout_strategy(self, name: str, parameters: dict[str, str]) -> None:
        body = {"name": "flexibleRollout", "constraints": [], "parameters": parameters}
        existing = [s for s in self._strategies(name) if s.get("name") == "flexibleRollout"]
        path = f"{self._project}/{name}/environments/{self._environment}/strategies"
        if existing:
            self._request("PUT", f"{path}/{existing[0]['id']}", json=body)
        else:
            self._request("POST", path, json=body)

    def _strategies(self, name: str) -> list[dict[str, Any]]:
        strategies = self._feature_environment(name).get("strategies", [])
        return list(strategies)

    def _feature_environment(self, name: str) -> dict[str, Any]:
        feature = self._request("GET", f"{self._project}/{name}")
        for environment in feature.get("environments", []):
            if environment.get("name") == self._environment:
                return dict(environment)
        raise ProviderError(f"unleash: environment {self._environment!r} not found")

    def _switch(self, name: str, on: bool) -> None:
        state = "on" if on else "off"
        self._request("POST", f"{self._project}/{name}/environments/{self._environment}/{state}")

    def _request(self, method: str, path: str, json: Any = None, missing_ok: bool = False) -> Any:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise ProviderError(f"unleash admin API unreachable ({type(exc).__name__})") from exc
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise ProviderError(f"unleash admin API refused the token ({response.status_code})")
        if response.status_code >= 400:
            raise ProviderError(f"unleash admin API: {method} {path} -> {response.status_code}")
        return response.json() if response.content else {}

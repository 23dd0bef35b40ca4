from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from router_proxy.config import load_settings
from router_proxy.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_shadow_cpus_from_the_file_or_the_environment():
    assert load_settings({"router": {"shadow_cpus": [1, 2]}}, {}, {}).shadow_cpus == (1, 2)
    assert load_settings({}, {"STRANGLER_SHADOW_CPUS": "3, 0"}, {}).shadow_cpus == (3, 0)


def test_shadow_max_inflight_from_the_file_or_the_environment():
    assert load_settings({}, {}, {}).shadow_max_inflight == 64
    toml = {"router": {"shadow_max_inflight": 8}}
    assert load_settings(toml, {}, {}).shadow_max_inflight == 8
    env = {"STRANGLER_SHADOW_MAX_INFLIGHT": "3"}
    assert load_settings(toml, env, {}).shadow_max_inflight == 3
    with pytest.raises(ConfigError, match="shadow_max_inflight"):
        load_settings({"router": {"shadow_max_inflight": 0}}, {}, {})


def test_no_new_app_unless_one_is_named():
    assert load_settings({}, {}, {"legacy_app": "theirapp.wsgi:app"}).new_app == ""


def test_precedence_file_then_env_then_overrides():
    toml = {"apps": {"legacy": "a:app"}, "router": {"wsgi_threads": 4, "mode": "remote"}}
    env = {"STRANGLER_WSGI_THREADS": "6", "STRANGLER_LEGACY_APP": "b:app"}
    settings = load_settings(toml, env, {"legacy_app": "c:app", "wsgi_threads": None})
    assert (settings.legacy_app, settings.wsgi_threads, settings.mode) == ("c:app", 6, "remote")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        pytest.param({"router": {"mode": "sideways"}}, "mode must be", id="bad-mode"),
        pytest.param({"router": {"wsgi_threads": "many"}}, "wsgi_threads", id="bad-int"),
        pytest.param({"router": {"wsgi_threads": 0}}, "positive", id="zero-threads"),
        pytest.param({"router": {"colour": "red"}}, "unknown keys", id="unknown-key"),
        pytest.param(
            {"router": {"shadow_isolation": "thread"}}, "shadow_isolation", id="bad-isolation"
        ),
        pytest.param({"router": {"shadow_cpus": ["one"]}}, "shadow_cpus", id="bad-cpu"),
        pytest.param({"router": {"shadow_cpus": [-1]}}, "shadow_cpus", id="negative-cpu"),
        pytest.param(
            {"router": {"trusted_proxies": ["10.0.0.300"]}}, "trusted_proxies", id="bad-network"
        ),
    ],
)
def test_bad_settings_are_one_clear_error(toml, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(toml, {}, {})


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["serve", "--legacy-app", "nope.module:app"], id="serve-bad-import"),
        pytest.param(["routes", "--config", "/does/not/exist.toml"], id="routes-missing-config"),
    ],
)
def test_cli_config_errors_exit_2_with_one_line(args):
    result = subprocess.run(
        [str(ROOT / ".venv/bin/strangler"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_cli_routes_json_lists_both_apps():
    import json

    env = {
        "STRANGLER_LEGACY_APP": "tests.router_proxy.apps.flask_app:app",
        "STRANGLER_NEW_APP": "tests.router_proxy.apps.fastapi_app:app",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [str(ROOT / ".venv/bin/strangler"), "routes", "--json", "--config", "/dev/null"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["GET /items/{item_id}"]["mode"] == "legacy"
    assert rows["GET /new-only"]["mode"] == "new-only"
    assert rows["POST /upload"]["legacy"] is True

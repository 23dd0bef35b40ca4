"""Configuration: pydantic-settings, one clear line naming the variable, exit code 2, and
no connection before the lifespan starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fastapi_app.errors import ConfigError
from fastapi_app.main import create_app
from fastapi_app.settings import load_settings

GOOD = {"DATABASE_URL": "postgresql://127.0.0.1/app", "SECRET_KEY": "0123456789abcdef"}


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        pytest.param({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL", id="not-postgres"),
        pytest.param({"SECRET_KEY": "short"}, "SECRET_KEY", id="short-secret"),
        pytest.param({"REDIS_URL": "http://cache"}, "REDIS_URL", id="redis-scheme"),
        pytest.param({"DB_POOL_MAX_SIZE": "lots"}, "DB_POOL_MAX_SIZE", id="pool-not-int"),
        pytest.param({"DB_POOL_MIN_SIZE": "20"}, "DB_POOL_MIN_SIZE", id="pool-min-over-max"),
    ],
)
def test_bad_values_name_their_variable(overrides, variable):
    with pytest.raises(ConfigError) as caught:
        load_settings({**GOOD, **overrides})
    assert caught.value.variable == variable


def test_good_values_load():
    settings = load_settings(
        {**GOOD, "REDIS_URL": "", "DB_POOL_MAX_SIZE": "3", "DB_POOL_MIN_SIZE": "1"}
    )
    assert (settings.redis_url, settings.db_pool_min_size, settings.db_pool_max_size) == (
        None,
        1,
        3,
    )


def _clean_env(**extra: str) -> dict[str, str]:
    names = ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "STRANGLER_CONFIG")
    env = {key: value for key, value in os.environ.items() if key not in names}
    return {**env, **extra}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        pytest.param({}, "DATABASE_URL", id="nothing-set"),
        pytest.param({"DATABASE_URL": GOOD["DATABASE_URL"]}, "SECRET_KEY", id="no-secret"),
    ],
)
def test_uvicorn_entry_point_exits_2_with_one_line(env, variable):
    code = "import uvicorn; uvicorn.run('fastapi_app.main:app')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"fastapi_app: bad configuration: {variable}: is required"
    ]


def test_importing_the_module_needs_no_environment():
    code = "import fastapi_app.main as m; print(callable(m.create_app))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=_clean_env(), capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, "True\n")


def test_creating_the_app_does_not_connect():
    # nothing listens on port 1: creating the app must still succeed, the lifespan fails
    app = create_app(load_settings({**GOOD, "DATABASE_URL": "postgresql://127.0.0.1:1/x"}))
    assert not hasattr(app.state, "services")

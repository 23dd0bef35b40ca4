"""Bad configuration stops the legacy app at start with one line naming the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from legacy_flask.config import load_settings
from legacy_flask.errors import ConfigError
from legacy_flask.serving import default_workers, workers_from_env

GOOD = {"DATABASE_URL": "postgresql://127.0.0.1/db", "SECRET_KEY": "s" * 16}
BASE_ENV = {"PATH": "/usr/bin:/bin"}


@pytest.mark.parametrize(
    ("env", "line"),
    [
        pytest.param(
            {"SECRET_KEY": "s" * 16},
            "legacy_flask: DATABASE_URL: is required",
            id="no-database-url",
        ),
        pytest.param(
            {**GOOD, "DATABASE_URL": "mysql://x/y"},
            "legacy_flask: DATABASE_URL: must be a postgresql:// URL",
            id="mysql-url",
        ),
        pytest.param(
            {**GOOD, "SECRET_KEY": "short"},
            "legacy_flask: SECRET_KEY: must be at least 16 characters",
            id="short-secret",
        ),
        pytest.param(
            {"DATABASE_URL": GOOD["DATABASE_URL"]},
            "legacy_flask: SECRET_KEY: is required",
            id="no-secret",
        ),
        pytest.param(
            {**GOOD, "REDIS_URL": "http://x"},
            "legacy_flask: REDIS_URL: must be a redis:// URL",
            id="bad-redis-url",
        ),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        pytest.param([sys.executable, "-c", "import legacy_flask.wsgi"], id="import-wsgi"),
        pytest.param(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:legacy_flask.gunicorn_conf",
                "legacy_flask.wsgi:app",
            ],
            id="gunicorn-with-config",
        ),
    ],
)
def test_bad_config_is_one_line_and_exit_2(env, line, command):
    done = subprocess.run(
        command, env={**BASE_ENV, **env}, capture_output=True, text=True, timeout=30, check=False
    )
    assert (done.returncode, done.stderr) == (2, line + "\n")


def test_bare_gunicorn_halts_instead_of_respawning_workers():
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "legacy_flask.wsgi:app"],
        env={**BASE_ENV, "SECRET_KEY": "s" * 16},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 4
    assert "legacy_flask: DATABASE_URL: is required" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr


def test_mapping_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    settings = load_settings({**GOOD, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert settings.sqlalchemy_url == "postgresql+psycopg2://127.0.0.1/db"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, default_workers(__import__("os").cpu_count()), id="default"),
        pytest.param("3", 3, id="explicit"),
    ],
)
def test_workers_come_from_web_concurrency(raw, expected):
    env = {} if raw is None else {"WEB_CONCURRENCY": raw}
    assert workers_from_env(env) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "many"])
def test_bad_web_concurrency_is_a_config_error(raw):
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY"):
        workers_from_env({"WEB_CONCURRENCY": raw})


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (64, 8), (None, 3)])
def test_default_workers_are_capped_at_8(cores, workers):
    assert default_workers(cores) == workers

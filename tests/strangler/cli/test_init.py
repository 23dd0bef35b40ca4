"""``strangler init`` in a user's project folder: finds the Flask app (and an ASGI app)
the way most projects lay them out, writes a strangler.toml the other commands then use
from that folder, and a .gitignore line for .strangler/, once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
FLASK = "from flask import Flask\n"
ROUTE = '\n@{app}.get("/ping")\ndef ping():\n    return "pong"\n'
FACTORY = FLASK + textwrap.dedent(
    """
    def create_app(config=None):
        app = Flask(__name__)

        @app.get("/ping")
        def ping():
            return "pong"

        return app
    """
)
FASTAPI = "from fastapi import FastAPI\n\napi = FastAPI()\n" + ROUTE.format(app="api")


def strangler(cwd: Path, *args: str, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STRANGLER_", "FLASK_"))}
    clean.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(BIN / "strangler"), *args],
        cwd=cwd,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source)


@pytest.mark.parametrize(
    ("files", "env", "legacy", "new"),
    [
        pytest.param({"wsgi.py": FLASK + "application = Flask(__name__)\n"
                      + ROUTE.format(app="application")}, {}, "wsgi:application", None,
                     id="wsgi-py"),
        pytest.param({"app.py": FACTORY}, {}, "app:create_app()", None, id="factory"),
        pytest.param({"shop/__init__.py": FACTORY, "main.py": FASTAPI}, {},
                     "shop:create_app()", "main:api", id="package-and-fastapi"),
        pytest.param({"service.py": FLASK + "app = Flask(__name__)\n" + ROUTE.format(app="app")},
                     {"FLASK_APP": "service.py"}, "service:app", None, id="flask-app-variable"),
    ],
)  # fmt: skip
def test_init_finds_the_apps_and_the_other_commands_use_them(tmp_path, files, env, legacy, new):
    write(tmp_path, files)

    result = strangler(tmp_path, "init", env=env)
    routes = strangler(tmp_path, "routes", "--json")

    assert result.returncode == 0, result.stderr
    apps = tomllib.loads((tmp_path / "strangler.toml").read_text())["apps"]
    assert (apps["legacy"], apps.get("new")) == (legacy, new)
    assert "note:" not in result.stderr  # what it found imports
    assert "strangler serve" in result.stdout
    assert routes.returncode == 0, routes.stderr
    sides = {row["key"]: (row["legacy"], row["new"]) for row in json.loads(routes.stdout)}
    assert sides["GET /ping"] == (True, new is not None)


def test_no_flask_app_is_one_line(tmp_path):
    write(tmp_path, {"app.py": FLASK + "def create_app(config):\n    return Flask(__name__)\n"})

    result = strangler(tmp_path, "init")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "strangler: no Flask app found (FLASK_APP, wsgi.py, app.py, ...): name it with --legacy-app"
    ]
    assert not (tmp_path / "strangler.toml").exists()


def test_gitignore_gets_one_line_and_an_existing_config_is_kept(tmp_path):
    write(tmp_path, {"app.py": FACTORY, ".gitignore": "__pycache__/"})

    first = strangler(tmp_path, "init")
    again = strangler(tmp_path, "init")
    forced = strangler(tmp_path, "init", "--force")

    assert first.returncode == 0 and forced.returncode == 0
    assert again.returncode == 2 and "--force" in again.stderr
    assert (tmp_path / ".gitignore").read_text() == "__pycache__/\n.strangler/\n"


def test_an_app_found_that_does_not_import_is_said(tmp_path):
    broken = "import not_installed\n" + FLASK + "app = Flask(__name__)\n"
    write(tmp_path, {"wsgi.py": broken})

    result = strangler(tmp_path, "init")

    assert result.returncode == 0
    assert "note: 'wsgi:app': cannot import wsgi" in result.stderr


ASYNC_DB = (
    "from sqlalchemy.ext.asyncio import async_sessionmaker\nSessionLocal = async_sessionmaker()\n"
)


@pytest.mark.parametrize(
    ("files", "identity", "legacy_db", "new_db"),
    [
        pytest.param({"app.py": FACTORY}, None, None, None, id="nothing-to-read"),
        pytest.param({"app.py": FACTORY, "shop/auth.py": "import flask_login\n",
                      "shop/models.py": "from flask_sqlalchemy import SQLAlchemy\n",
                      "shop_next/db.py": ASYNC_DB},
                     "_user_id", "flask_sqlalchemy", "sqlalchemy_async:shop_next.db:SessionLocal",
                     id="flask-login-flask-sqlalchemy-async"),
        pytest.param({"app.py": FACTORY, ".venv/lib/x.py": "import flask_login\n",
                      "tests/test_x.py": ASYNC_DB}, None, None, None, id="venv-and-tests-skipped"),
    ],
)  # fmt: skip
def test_init_reads_the_login_and_database_stacks(tmp_path, files, identity, legacy_db, new_db):
    write(tmp_path, files)

    result = strangler(tmp_path, "init")

    assert result.returncode == 0, result.stderr
    written = tomllib.loads((tmp_path / "strangler.toml").read_text())
    assert written.get("identity", {}).get("session_key") == identity
    assert written["parity"].get("legacy_db") == legacy_db
    assert written["parity"].get("new_db") == new_db
    assert written["parity"]["cases"] == "parity_cases"

"""Commands run from the user's project: strangler.toml found from the working directory
upward, the project folder importable (no ``PYTHONPATH=.``), its ``.strangler/`` the state
folder; a folder without strangler.toml is an empty project, never the reference apps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from strangler.project import Project, enter, find_config, locate
from tests.fixtures.rollout import free_port, wait_until

BIN = Path(sys.executable).parent
FLASK_APP = """\
from flask import Flask

app = Flask(__name__)


@app.get("/hello/<name>")
def hello(name):
    return {"hello": name}


@app.post("/orders")
def orders():
    return {"ok": True}, 201
"""
FASTAPI_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello/{name}")
def hello(name: str) -> dict[str, str]:
    return {"hello": name, "from": "new"}
"""


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A user's project folder: their modules, and a strangler.toml when given one."""

    def make(toml: str | None = None, **modules: str) -> Path:
        root = tmp_path / "project"
        (root / "deep" / "er").mkdir(parents=True)
        for name, source in modules.items():
            (root / f"{name}.py").write_text(source)
        if toml is not None:
            (root / "strangler.toml").write_text(textwrap.dedent(toml))
        return root

    return make


def user_env(database_url: str) -> dict[str, str]:
    """The user's shell: no PYTHONPATH, no STRANGLER_* of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRANGLER_")}
    env.pop("PYTHONPATH", None)
    return env | {"DATABASE_URL": database_url}


def strangler(cwd: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "strangler"), *args],
        cwd=cwd,
        env=user_env(database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("tomls", "start", "found"),
    [
        pytest.param(["."], ".", ".", id="here"),
        pytest.param(["."], "deep/er", ".", id="two-folders-up"),
        pytest.param([".", "deep"], "deep/er", "deep", id="nearest-wins"),
        pytest.param([], "deep/er", None, id="none"),
    ],
)
def test_strangler_toml_is_found_from_the_working_directory_up(tmp_path, tomls, start, found):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    for folder in tomls:
        (tmp_path / folder / "strangler.toml").write_text("")

    result = find_config(tmp_path / start)

    assert result == (tmp_path / found / "strangler.toml" if found else None)


def test_a_folder_without_strangler_toml_is_its_own_empty_project(tmp_path):
    assert locate(tmp_path) == Project(tmp_path.resolve(), None)


def test_an_explicit_config_names_the_project(tmp_path):
    project = locate(tmp_path, Path("elsewhere/strangler.toml"))

    assert project.root == (tmp_path / "elsewhere").resolve()


def test_entering_a_project_makes_it_importable_here_and_in_children(tmp_path):
    environ = {"PYTHONPATH": "/already"}
    try:
        enter(Project(tmp_path, None), environ)
        assert sys.path[0] == str(tmp_path)
    finally:
        sys.path.remove(str(tmp_path))
    assert environ["PYTHONPATH"].split(os.pathsep) == [str(tmp_path), "/already"]
    assert environ["STRANGLER_STATE_DIR"] == str(tmp_path / ".strangler")


@pytest.mark.slow
def test_routes_from_a_subfolder_import_the_users_apps(make_project, database_url):
    root = make_project(
        '[apps]\nlegacy = "myapp:app"\nnew = "newapp:app"\n', myapp=FLASK_APP, newapp=FASTAPI_APP
    )

    result = strangler(root / "deep" / "er", database_url, "routes", "--json")

    assert result.returncode == 0, result.stderr
    rows = {row["key"]: (row["legacy"], row["new"]) for row in json.loads(result.stdout)}
    assert rows == {
        "GET /hello/{name}": (True, True),
        "POST /orders": (True, False),
        "GET /static/{filename:path}": (True, False),  # Flask's own
    }


@pytest.mark.slow
def test_a_folder_without_strangler_toml_never_lists_the_reference_routes(
    make_project, database_url
):
    root = make_project(myapp=FLASK_APP)

    result = strangler(root, database_url, "routes", "--json", "--legacy-app", "myapp:app")
    no_app = strangler(root, database_url, "routes", "--json")

    keys = {row["key"] for row in json.loads(result.stdout)}
    assert keys == {"GET /hello/{name}", "POST /orders", "GET /static/{filename:path}"}
    assert "/api/v1" not in no_app.stdout + no_app.stderr


@pytest.fixture
def served(make_project, database_url) -> Iterator[str]:
    root = make_project(myapp=FLASK_APP)
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "strangler"), "serve", "--legacy-app", "myapp:app", "--port", str(port)],
        cwd=root,
        env=user_env(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url, process), timeout=30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _up(url: str, process: subprocess.Popen[str]) -> bool:
    if process.poll() is not None:
        raise AssertionError(process.stderr.read() if process.stderr else "exited")
    try:
        return httpx.get(f"{url}/_strangler/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_serve_imports_the_users_app_from_its_folder(served):
    answer = httpx.get(f"{served}/hello/ada", timeout=5)

    assert (answer.status_code, answer.json()) == (200, {"hello": "ada"})
    assert answer.headers["x-served-by"] == "legacy"

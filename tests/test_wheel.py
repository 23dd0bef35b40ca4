"""The built wheel is the shim alone, and it works in a fresh environment from an empty folder.

The wheel is built from this checkout (``pip wheel``, as a release would) and installed with
``--no-deps`` into a new venv; its dependencies come from this test environment through a
path entry (not a ``.pth`` processed as a site dir: this environment's editable install of
the checkout must stay invisible), and ``pip check`` proves that what the wheel declares
is satisfied by them. Then a user's first steps run from a folder holding only their app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = (".git", ".venv", ".strangler", "build", "*.egg-info", "node_modules", "__pycache__",
              ".mypy_cache", ".ruff_cache", "test-artifacts")  # fmt: skip
SHIM = {"strangler", "router_proxy", "rollout", "parity_tests", "logsafe"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy: setuptools writes build/ and *.egg-info into the tree it builds.
    source = tmp_path_factory.mktemp("source") / "strangler"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("strangler-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # A plain path line: the dependencies, without this environment's .pth files.
    (Path(site) / "test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = _pip(python, "install", "--quiet", "--no-deps", "--ignore-installed", str(wheel))
    assert installed.returncode == 0, installed.stderr
    return home


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_the_wheel_holds_the_shim_and_nothing_of_the_demo_project(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}

    assert top == SHIM
    assert not [name for name in names if "/cases/" in name or name.startswith("tests/")]
    # what the shim reads at run time is in it: migrations, dashboard, report template
    assert "strangler/db/migrations/versions/0002_flags_and_parity_ledger.py" in names
    assert "rollout/dashboard/templates/overview.html" in names
    assert "parity_tests/templates/report.html" in names
    assert "strangler/unleash/server.js" in names  # the local Unleash server, installed on use


def test_its_declared_dependencies_are_met_and_the_command_runs_from_an_empty_folder(
    fresh_env, tmp_path
):
    python = fresh_env / "bin" / "python"
    check = _pip(python, "check")
    # (only the wheel's own requirements: this environment's test tools are not its business)
    assert not [line for line in check.stdout.splitlines() if line.startswith("strangler ")]
    assert "strangler" not in check.stderr

    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(textwrap.dedent("""\
        from flask import Flask

        app = Flask(__name__)


        @app.get("/hello")
        def hello():
            return {"hello": "world"}
        """))  # fmt: skip
    env = _clean_env()
    strangler = str(fresh_env / "bin" / "strangler")

    help_run = subprocess.run(
        [strangler, "--help"], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    init = subprocess.run(
        [strangler, "init"], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    demo = subprocess.run(
        [str(python), "-c", "import legacy_flask"], cwd=project, env=env, capture_output=True
    )

    assert help_run.returncode == 0 and "serve" in help_run.stdout, help_run.stderr
    assert init.returncode == 0, init.stdout + init.stderr
    assert 'legacy = "app:app"' in (project / "strangler.toml").read_text()
    assert demo.returncode != 0  # the reference apps are not installed with the shim

"""``pytest --parity`` as a user runs it: from a subfolder of their project, with the cases and
the pair its strangler.toml names, a report and JUnit XML written, one line when nothing is
named. Run in a child pytest (the plugin is installed through its ``pytest11`` entry point).
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from payments_demo import CASES

CASE = "account-get-own"


def _pytest(cwd: Path, *args: str, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "strangler.toml").write_text(
        f'[parity]\ncases = "{CASES}"\npair = "payments_demo.pair:reference_pair"\n'
    )
    (tmp_path / "src").mkdir()
    return tmp_path


@pytest.mark.slow
def test_parity_from_a_subfolder_runs_the_projects_cases_with_a_report(
    project, database_url, db
):
    report, junit = project / "report.html", project / "parity.xml"
    run = _pytest(
        project / "src", "--parity", "-k", CASE, "--parity-report", str(report),
        f"--junitxml={junit}", database_url=database_url,
    )  # fmt: skip

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
    assert CASE in report.read_text()
    [case] = ET.parse(junit).getroot().iter("testcase")
    assert case.get("name") == CASE


def test_parity_without_cases_named_says_how_in_one_line(tmp_path):
    (tmp_path / "strangler.toml").write_text("")
    run = _pytest(tmp_path, "--parity", database_url=None)

    assert run.returncode != 0
    assert "[parity] cases" in run.stderr
    assert len(run.stderr.strip().splitlines()) <= 2, run.stderr

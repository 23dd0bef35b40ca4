"""``strangler parity`` uses the cases and app pair the project names in ``[parity]``:
in a folder that names none it says how in one line, never running this repository's
payments cases; the repository names its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from strangler.cli import app

ROOT = Path(__file__).resolve().parents[3]


NO_PAIR = "no app pair: [parity] legacy_db and new_db"


@pytest.mark.parametrize(
    ("toml", "args", "said"),
    [
        pytest.param(None, ["run"], "no parity cases named", id="run-without-cases"),
        pytest.param(None, ["coverage"], "no parity cases named", id="coverage-without-cases"),
        pytest.param('[parity]\ncases = "cases"\n', ["coverage"], NO_PAIR,
                     id="coverage-without-pair"),
        pytest.param('[parity]\ncases = "cases"\n', ["run"], NO_PAIR, id="run-without-pair"),
        pytest.param('[parity]\ncases = "cases"\nlegacy_db = "django"\n', ["run"],
                     "[parity]: unknown database stack 'django'", id="unknown-stack"),
        pytest.param('[parity]\ncases = "cases"\nnew_db = "asyncpg_pool"\n', ["run"],
                     "asyncpg_pool needs where its handle is", id="stack-without-where"),
        pytest.param('[parity]\ncase = "cases"\n', ["run"], "[parity]: unknown keys ['case']",
                     id="misspelt-key"),
    ],
)  # fmt: skip
def test_a_project_that_names_no_cases_is_told_how(tmp_path, monkeypatch, toml, args, said):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cases").mkdir()
    if toml:
        (tmp_path / "strangler.toml").write_text(toml)

    result = CliRunner().invoke(app, ["parity", *args])

    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and said in lines[0], result.output
    assert "/api/v1" not in result.output


def test_the_repository_names_its_own_cases_and_pair(monkeypatch):
    monkeypatch.chdir(ROOT / "tests")  # a subfolder: strangler.toml is found upward
    monkeypatch.setenv("COLUMNS", "200")

    result = CliRunner().invoke(app, ["parity", "coverage"])

    assert result.exit_code == 0, result.output
    assert "GET /api/v1/accounts/{account_id}" in result.output

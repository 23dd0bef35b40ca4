"""``strangler rollout`` against the embedded provider: each command moves the flag, the
guard state and the audit log together."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from strangler.cli import app
from tests.conftest import Database
from tests.rollout.observed_db import observed_db

__all__ = ["observed_db"]
ROUTE = "GET /api/v1/accounts/{account_id}"
CONFIG = f"""
[apps]
legacy = "legacy_flask.wsgi:app"
new = "fastapi_app.main:app"

[rollout."{ROUTE}"]
steps = ["shadow:500", "canary:5", "new"]
hold = "5m"
"""


@pytest.fixture
def run(observed_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", observed_db.url)
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "strangler.toml").write_text(CONFIG)
    return lambda *args: CliRunner().invoke(app, ["rollout", *args])


def flag(db: Database) -> list[tuple[Any, ...]]:
    return db.all("SELECT mode, percent, shadow_sample FROM rollout_flags")


def test_advance_pause_rollback(run, observed_db):
    assert run("advance", ROUTE).exit_code == 0
    assert flag(observed_db) == [("shadow", 0, 100)]
    result = run("advance", ROUTE, "--reason", "looks good")
    assert result.exit_code == 0 and "canary:5 (running)" in result.output
    assert flag(observed_db) == [("canary", 5, 0)]
    assert run("pause", ROUTE).exit_code == 0
    assert observed_db.all("SELECT step_index, status FROM guard_state") == [(1, "paused")]
    assert "paused" in run("status").output
    assert run("rollback", ROUTE).exit_code == 0
    assert flag(observed_db) == [("legacy", 0, 0)]
    actions = observed_db.all("SELECT actor, source, action FROM audit_log ORDER BY id")
    assert actions == [
        ("alice", "cli", "advance"),
        ("alice", "cli", "advance"),
        ("alice", "cli", "pause"),
        ("alice", "cli", "rollback"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("advance", "GET /not/planned"), "no [rollout", id="no-plan"),
        pytest.param(("pause", ROUTE), "no rollout in progress", id="pause-before-start"),
    ],
)
def test_errors_are_one_line(run, args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output


def test_flags_set_is_audited(run, observed_db):
    result = CliRunner().invoke(app, ["flags", "set", ROUTE, "--mode", "canary", "--percent", "5"])
    assert result.exit_code == 0, result.output
    [(actor, before, after)] = observed_db.all("SELECT actor, before, after FROM audit_log")
    assert (actor, before["mode"], after["mode"], after["percent"]) == (
        "alice",
        "legacy",
        "canary",
        5,
    )

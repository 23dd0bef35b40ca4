"""``strangler routes`` shows each route's fallback: legacy for reads, none for writes,
what ``[fallback]`` says otherwise, "-" where only one side has the route."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rollout.flags.embedded import EmbeddedFlagStore
from rollout.types import Mode, RouteFlag
from strangler.cli import app

CONFIG = """
[apps]
legacy = "legacy_flask.wsgi:app"
new = "fastapi_app.main:app"

[fallback]
"POST /api/v1/payments" = "legacy"
"GET /api/v1/me" = "none"
"""


def test_routes_show_each_fallback(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    config = tmp_path / "strangler.toml"
    config.write_text(CONFIG)

    as_json = CliRunner().invoke(app, ["routes", "--config", str(config), "--json"])
    as_table = CliRunner().invoke(app, ["routes", "--config", str(config)])

    assert as_json.exit_code == 0, as_json.output
    fallback = {row["key"]: row["fallback"] for row in json.loads(as_json.stdout)}
    assert fallback["GET /api/v1/accounts/{account_id}"] == "legacy"  # a read: by default
    assert fallback["POST /api/v1/transfers"] == "none"  # a write: by default
    assert fallback["POST /api/v1/payments"] == "legacy"  # set: keyed writes fall back
    assert fallback["GET /api/v1/me"] == "none"
    assert "fallback" in as_table.output


def test_a_bad_fallback_value_is_one_line(tmp_path: Path):
    config = tmp_path / "strangler.toml"
    config.write_text('[apps]\nlegacy = "legacy_flask.wsgi:app"\n[fallback]\n"GET /x" = "new"\n')

    result = CliRunner().invoke(app, ["routes", "--config", str(config)])

    assert result.exit_code == 2
    assert "'legacy' or 'none'" in result.output


def test_routes_show_the_live_mode_and_fit_80_columns(tmp_path: Path, monkeypatch, flag_db):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("DATABASE_URL", flag_db.url)
    config = tmp_path / "strangler.toml"
    # strangler.toml's static plan says shadow; the live (embedded) flag says canary.
    config.write_text(CONFIG + '[routes."GET /api/v1/me"]\nmode = "shadow"\n')
    EmbeddedFlagStore(flag_db.url).set_flag(
        "GET /api/v1/me", RouteFlag(Mode.CANARY, percent=25), actor="test"
    )

    as_json = CliRunner().invoke(app, ["routes", "--config", str(config), "--json"])
    as_table = CliRunner().invoke(app, ["routes", "--config", str(config)])

    mode = {row["key"]: row["mode"] for row in json.loads(as_json.stdout)}
    assert mode["GET /api/v1/me"] == "canary 25%"
    lines = as_table.output.splitlines()
    me = next(line for line in lines if "GET /api/v1/me " in line)
    assert "canary 25%" in me and "yes" in me
    assert max(len(line) for line in lines) <= 80

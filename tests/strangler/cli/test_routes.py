"""``strangler routes`` shows each route's fallback: legacy for reads, none for writes,
what ``[fallback]`` says otherwise, "-" where only one side has the route."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

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
    fallback = {row["key"]: row["fallback"] for row in json.loads(as_json.output)}
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

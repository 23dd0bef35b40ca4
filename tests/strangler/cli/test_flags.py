"""``strangler flags`` against the embedded provider (real PostgreSQL) and the real Unleash."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rollout.flags.unleash_admin import UnleashAdmin
from rollout.types import Mode, RouteFlag
from strangler.cli import app

ROUTE = "GET /api/v1/payments/{payment_id}"


@pytest.fixture
def run(flag_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", flag_db.url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps the table at the terminal width

    def invoke(*args: str):
        return CliRunner().invoke(app, ["flags", *args])

    return invoke


def test_set_then_list_on_the_embedded_provider(run, flag_db):
    result = run("set", ROUTE, "--mode", "canary", "--percent", "25", "--shadow-sample", "10")
    assert result.exit_code == 0, result.output
    assert flag_db.all("SELECT mode, percent, shadow_sample FROM rollout_flags") == [
        ("canary", 25, 10)
    ]

    run("set", ROUTE, "--percent", "50")  # other fields keep their value
    assert flag_db.all("SELECT mode, percent, shadow_sample FROM rollout_flags") == [
        ("canary", 50, 10)
    ]
    listing = run("list")
    assert "route.get.api.v1.payments.~payment_id" in listing.output
    assert "canary" in listing.output


def test_kill_on_and_off(run, flag_db):
    assert run("kill", "on").exit_code == 0
    assert flag_db.scalar("SELECT enabled FROM rollout_switches") is True
    assert run("kill", "off").exit_code == 0
    assert flag_db.scalar("SELECT enabled FROM rollout_switches") is False


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        pytest.param(("set", "no-method", "--mode", "new"), None, "METHOD /path", id="bad-route"),
        pytest.param(
            ("kill", "on"),
            '[flags]\nprovider = "consul"\n',
            "flags.provider",
            id="unknown-provider",
        ),
        pytest.param(
            ("kill", "on", "--provider", "unleash"),
            None,
            "UNLEASH_ADMIN_TOKEN",
            id="unleash-without-token",
        ),
        pytest.param(("list",), "[flags\n", "strangler.toml", id="broken-toml"),
    ],
)
def test_config_errors_are_one_clear_line(run, tmp_path, monkeypatch, args, config, message):
    monkeypatch.delenv("UNLEASH_ADMIN_TOKEN", raising=False)
    if config:
        (tmp_path / "strangler.toml").write_text(config)

    result = run(*args)

    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


@pytest.mark.slow
def test_set_and_kill_through_unleash(run, unleash_server, monkeypatch):
    monkeypatch.setenv("UNLEASH_URL", unleash_server.url)
    monkeypatch.setenv("UNLEASH_ADMIN_TOKEN", unleash_server.admin_token)
    route = "GET /api/v1/cli-test/{item_id}"

    result = run("set", route, "--mode", "canary", "--percent", "25", "--provider", "unleash")

    assert result.exit_code == 0, result.output
    admin = UnleashAdmin(unleash_server.url, unleash_server.admin_token)
    assert admin.read_state().flag_for(route) == RouteFlag(Mode.CANARY, percent=25)
    assert run("kill", "on", "--provider", "unleash").exit_code == 0
    assert admin.read_state().kill_switch is True
    assert run("kill", "off", "--provider", "unleash").exit_code == 0

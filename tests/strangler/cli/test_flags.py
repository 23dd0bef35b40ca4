"""``strangler flags`` against the embedded provider (real PostgreSQL) and the real Unleash."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rollout.flags.unleash_admin import UnleashAdmin
from rollout.types import Mode, RouteFlag
from strangler.cli import app

ROUTE = "GET /api/v1/payments/{payment_id}"
# The keys are checked against the route table of the project's apps.
APPS = '[apps]\nlegacy = "legacy_flask.wsgi:app"\nnew = "fastapi_app.main:app"\n'


@pytest.fixture
def run(flag_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", flag_db.url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps the table at the terminal width
    (tmp_path / "strangler.toml").write_text(APPS)

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

    result = run(
        "set", route, "--mode", "canary", "--percent", "25", "--provider", "unleash", "--force"
    )

    assert result.exit_code == 0, result.output
    admin = UnleashAdmin(unleash_server.url, unleash_server.admin_token)
    assert admin.read_state().flag_for(route) == RouteFlag(Mode.CANARY, percent=25)
    assert run("kill", "on", "--provider", "unleash").exit_code == 0
    assert admin.read_state().kill_switch is True
    assert run("kill", "off", "--provider", "unleash").exit_code == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param("GET /api/v1/me", "GET /api/v1/me", id="as-the-table-has-it"),
        pytest.param("get /api/v1/me", "GET /api/v1/me", id="lower-case-method"),
        pytest.param("  Get   /api/v1/me ", "GET /api/v1/me", id="spaces"),
    ],
)
def test_a_key_is_stored_as_the_route_table_has_it(run, flag_db, typed, stored):
    result = run("set", typed, "--mode", "new")

    assert result.exit_code == 0, result.output
    assert flag_db.all("SELECT route_key FROM rollout_flags") == [(stored,)]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        pytest.param("GET /api/v1/payments/123", ROUTE, id="a-concrete-path"),
        pytest.param("GET /api/v1/payments/<payment_id>", ROUTE, id="flask-syntax"),
        pytest.param("GET /api/v1/payments/<int:payment_id>", ROUTE, id="flask-converter"),
        pytest.param("GET /api/v1/me/", "GET /api/v1/me", id="trailing-slash"),
        pytest.param("GET /api/v1/mee", "GET /api/v1/me", id="misspelt"),
        pytest.param("GET /api/v1/nope", None, id="nothing-like-it"),
    ],
)
def test_a_key_the_table_lacks_is_refused_naming_the_likely_one(run, flag_db, typed, meant):
    result = run("set", typed, "--mode", "new")

    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no route" in lines[0] and "--force" in lines[0], result.output
    if meant:
        assert f"did you mean '{meant}'" in lines[0]
    assert flag_db.all("SELECT route_key FROM rollout_flags") == []


def test_force_sets_a_route_not_deployed_yet(run, flag_db):
    result = run("set", "post /api/v2/refunds", "--mode", "shadow", "--force")

    assert result.exit_code == 0, result.output
    assert flag_db.all("SELECT route_key FROM rollout_flags") == [("POST /api/v2/refunds",)]


def test_shadow_without_a_sample_compares_every_request(run, flag_db):
    result = run("set", ROUTE, "--mode", "shadow")

    assert result.exit_code == 0, result.output
    assert flag_db.scalar("SELECT shadow_sample FROM rollout_flags") == 100
    assert "100% of requests compared" in result.output


@pytest.mark.parametrize(
    ("args", "said", "not_said"),
    [
        pytest.param(("--mode", "new"), "new: every request to new", "25%", id="new"),
        pytest.param(("--mode", "legacy"), "legacy: every request to legacy", "25%", id="legacy"),
        pytest.param(("--mode", "canary"), "canary: 25% of callers to new", "shadow", id="canary"),
    ],
)
def test_output_says_what_applies_to_the_mode(run, args, said, not_said):
    run("set", ROUTE, "--mode", "canary", "--percent", "25", "--shadow-sample", "10")

    result = run("set", ROUTE, *args)
    listing = run("list")

    assert said in result.output and not_said not in result.output
    assert said in listing.output


def test_delete_puts_the_route_back_on_legacy(run, flag_db):
    run("set", ROUTE, "--mode", "new")

    result = run("delete", ROUTE.replace("GET", "get"))
    again = run("delete", ROUTE)

    assert result.exit_code == 0, result.output
    assert flag_db.all("SELECT route_key FROM rollout_flags") == []
    actions = flag_db.all("SELECT action FROM audit_log WHERE route_key = %s ORDER BY id", (ROUTE,))
    assert actions[-1] == ("delete_flag",)
    assert again.exit_code == 2 and "no flag stored" in again.output


@pytest.mark.slow
def test_delete_through_unleash_lets_the_route_be_flagged_again(run, unleash_server, monkeypatch):
    monkeypatch.setenv("UNLEASH_URL", unleash_server.url)
    monkeypatch.setenv("UNLEASH_ADMIN_TOKEN", unleash_server.admin_token)
    route = "GET /api/v1/cli-delete/{item_id}"
    admin = UnleashAdmin(unleash_server.url, unleash_server.admin_token)
    unleash = ("--provider", "unleash")

    assert run("set", route, "--mode", "new", "--force", *unleash).exit_code == 0
    deleted = run("delete", route, *unleash)
    gone = route not in admin.read_state().routes
    again = run("set", route, "--mode", "canary", "--percent", "5", "--force", *unleash)

    assert deleted.exit_code == 0, deleted.output
    assert gone
    assert again.exit_code == 0, again.output
    assert admin.read_state().flag_for(route) == RouteFlag(Mode.CANARY, percent=5)

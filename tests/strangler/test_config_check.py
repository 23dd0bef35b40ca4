"""Every table and key of strangler.toml is checked whenever a command reads it: a misspelt
one is one line naming it (and what was likely meant), never a setting silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from strangler.cli import app
from strangler.config_check import ConfigFileError, check_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "strangler.toml"


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        pytest.param("[routr]\nx = 1\n", "[routr]: no such table (did you mean [router]?)",
                     id="misspelt-table"),
        pytest.param("[router]\nmodee = 'remote'\n", "[router]: unknown keys ['modee']",
                     id="router-key"),
        pytest.param("[flags]\nprovder = 'unleash'\n", "[flags]: unknown keys ['provder']",
                     id="flags-key"),
        pytest.param("[guard]\nintervl = '5s'\n", "[guard]: unknown keys ['intervl']",
                     id="guard-key"),
        pytest.param("[up]\nrouter_prt = 1\n", "[up]: unknown keys", id="up-key"),
        pytest.param("[compression]\nenabld = true\n", "[compression]: unknown keys",
                     id="compression-key"),
        pytest.param("[rollout.\"GET /x\"]\nstep = ['new']\n", "unknown keys ['step']",
                     id="rollout-key"),
        pytest.param("[routes.\"GET /x\"]\nmod = 'new'\n", "unknown keys ['mod']",
                     id="routes-key"),
        pytest.param("apps = 'myapp:app'\n", "apps: a table", id="a-value-for-a-table"),
        pytest.param("[dashboard]\nminute = 5\n", "[dashboard]: unknown keys", id="dashboard-key"),
        pytest.param("[compare.\"GET /x\"]\nignor = []\n", "unknown keys ['ignor']",
                     id="compare-key"),
        pytest.param("[identity]\nsesion_key = 'x'\n", "[identity]: unknown keys",
                     id="identity-key"),
    ],
)  # fmt: skip
def test_a_misspelt_table_or_key_is_one_line(tmp_path, monkeypatch, toml, said):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "strangler.toml").write_text(toml)

    result = CliRunner().invoke(app, ["flags", "list"])

    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and said in lines[0], result.output


def test_the_repositorys_own_strangler_toml_passes():
    import tomllib

    check_config(tomllib.loads(REPO_CONFIG.read_text()))


def test_every_table_is_known_by_name():
    with pytest.raises(ConfigFileError, match=r"tables: apps, compare, compression, dashboard"):
        check_config({"identity_": {}})


def test_every_documented_table_is_accepted():
    check_config(
        {
            "dashboard": {"minutes": 5, "session_hours": 1, "users": {"alice": "scrypt:x"}},
            "compare": {"GET /x": {"ignore": ["$.at"], "tolerance": 0.01}},
            "identity": {"session_key": "_user_id", "anonymous_cookie": ""},
            "guard": {"interval": "5s"},
            "flags": {"provider": "embedded", "refresh_interval": 2},
        }
    )

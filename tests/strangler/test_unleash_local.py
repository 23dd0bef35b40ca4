from __future__ import annotations

import pytest

from strangler.unleash_local import node_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            "postgresql://postgres@127.0.0.1:5432/unleash",
            "postgres://postgres@127.0.0.1:5432/unleash",
            id="tcp",
        ),
        pytest.param(
            "postgresql+psycopg2://u:p%40ss@db:6432/unleash",
            "postgres://u:p%40ss@db:6432/unleash",
            id="driver-and-escaped-password",
        ),
        pytest.param(
            "postgresql://postgres:@/unleash?host=/srv/app/.strangler/pgdata",
            "postgres://postgres:@localhost/unleash?host=/srv/app/.strangler/pgdata",
            id="embedded-pgserver-unix-socket",
        ),
    ],
)
def test_node_database_url_keeps_what_server_js_needs(given: str, expected: str) -> None:
    assert node_database_url(given) == expected


def test_the_server_runs_from_a_user_cache_with_the_shipped_files_kept_current(tmp_path):
    from strangler.deploy.commands import UnleashPlan, process_specs
    from strangler.deploy.settings import load_up_settings
    from strangler.unleash_local import SHIPPED, SOURCE_DIR, ensure_installed, unleash_home

    home = unleash_home({"XDG_CACHE_HOME": str(tmp_path)})
    assert home == tmp_path / "strangler" / "unleash-7.5.1"  # the pinned version
    (home / "node_modules" / "unleash-server").mkdir(parents=True)
    (home / "node_modules" / "unleash-server" / "package.json").write_text("{}")
    (home / "server.js").parent.mkdir(parents=True, exist_ok=True)
    (home / "server.js").write_text("// an older copy")

    assert ensure_installed(home) == home  # installed already: no npm run
    for name in SHIPPED:
        assert (home / name).read_bytes() == (SOURCE_DIR / name).read_bytes()

    apps = {"apps": {"legacy": "a:app", "new": "b:app"}}
    plan = UnleashPlan("postgresql://u@/unleash?host=/run/pg", "admin", "client")
    [unleash, *_] = process_specs(load_up_settings({}, {}), apps, tmp_path, plan)
    assert unleash.cwd == unleash_home()
    assert unleash.env["UNLEASH_DATABASE_URL"] == "postgres://u@localhost/unleash?host=/run/pg"

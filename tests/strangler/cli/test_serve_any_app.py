"""Pointed at an app that is not ours, or at no app: one line says what is needed, never
the reference app by default; a WSGI app without a url_map is accepted with one warning,
and strangler.toml can name its routes so flags address them."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.asgi import build_app
from router_proxy.config import load_settings
from tests.router_proxy.servers import ECHO_TARGET

BIN = Path(sys.executable).parent
ECHO = ECHO_TARGET
ROOT = Path(__file__).resolve().parents[3]


def strangler(folder: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRANGLER_")}
    env |= {"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [str(BIN / "strangler"), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        pytest.param(
            ["serve", "--remote", "--legacy-url", "http://127.0.0.1:1", "--port", "1"],
            "legacy_routes",
            id="remote-without-legacy-app",
        ),
        pytest.param(["serve", "--port", "1"], "no legacy app named", id="no-app-at-all"),
        pytest.param(
            ["serve", "--legacy-app", "os:path", "--port", "1"],
            "not a WSGI or ASGI app",
            id="not-an-app",
        ),
        pytest.param(
            ["serve", "--legacy-app", "httpbin:app()", "--port", "1"],
            "to serve it as it is: 'httpbin:app'",
            id="an-app-called-as-a-factory",
        ),
        pytest.param(
            ["serve", "--legacy-app", "myapp:app", "--port", "1"],
            "cannot import myapp",
            id="no-such-module",
        ),
    ],
)
def test_what_is_missing_is_one_line(tmp_path, database_url, args, said):
    result = strangler(tmp_path, database_url, *args)

    assert result.returncode == 2
    assert said in result.stderr.strip().splitlines()[-1]
    assert "legacy_flask" not in result.stderr and "Traceback" not in result.stderr


def test_remote_mode_takes_its_routes_from_strangler_toml(tmp_path, database_url):
    (tmp_path / "strangler.toml").write_text(
        "[apps]\n"
        'legacy_routes = ["GET /objects/{bucket}/{key:path}", "PUT /objects/{bucket}/{key:path}"]\n'
        '[router]\nmode = "remote"\nlegacy_url = "http://127.0.0.1:1"\n'
    )
    result = strangler(tmp_path, database_url, "routes", "--json")

    assert result.returncode == 0, result.stderr
    keys = {row["key"] for row in json.loads(result.stdout)}
    assert keys == {"GET /objects/{bucket}/{key:path}", "PUT /objects/{bucket}/{key:path}"}


def test_a_wsgi_app_without_a_url_map_is_accepted_with_one_warning(caplog):
    settings = load_settings({}, {}, {"legacy_app": ECHO})
    with caplog.at_level(logging.WARNING, logger="router_proxy"):
        router = build_app(settings, StaticProvider(parse_plan({})))

    warnings = [r.getMessage() for r in caplog.records if "no url_map" in r.getMessage()]
    assert len(warnings) == 1 and ECHO in warnings[0]
    assert len(router.table) == 0


def test_declared_routes_give_flags_something_to_address():
    routes = ["GET /key/{name:path}"]
    settings = load_settings({"apps": {"legacy": ECHO, "legacy_routes": routes}}, {}, {})
    router = build_app(settings, StaticProvider(parse_plan({})))

    route = router.table.match("GET", "/key/a/b.txt")
    assert route is not None and route.key == "GET /key/{name:path}"
    assert route.flag_name == "route.get.key.~name~path"

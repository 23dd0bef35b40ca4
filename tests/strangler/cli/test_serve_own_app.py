"""A new user's first try: ``strangler serve --legacy-app httpbin:app`` in a folder of their
own, with nothing else set, serves exactly their app (no payments port, no setup), its
flags in an embedded PostgreSQL it starts under ``.strangler/``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg2
import pytest

from strangler.devenv import port_open, stop_embedded_postgres
from tests.router_proxy.httpbin_wire import comparable, send
from tests.router_proxy.servers import free_port, gunicorn, wait_for_port

BIN = Path(sys.executable).parent
HTTPBIN = "httpbin:app"
# What a user's shell has: none of the variables `make test` sets for the suite.
UNSET = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "STRANGLER_CONFIG", "STRANGLER_NEW_APP",
         "STRANGLER_DASHBOARD_TOKEN")  # fmt: skip


def user_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    return {**env, **extra}


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("their-project")
    yield folder
    pgdata = folder / ".strangler" / "pgdata"
    if pgdata.is_dir():  # the embedded PostgreSQL outlives `strangler serve` by design
        stop_embedded_postgres(pgdata)


@pytest.fixture(scope="module")
def served(user_folder) -> Iterator[int]:
    port = free_port()
    with (user_folder / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "strangler"), "serve", "--legacy-app", HTTPBIN, "--port", str(port)],
            cwd=user_folder,
            env=user_env(),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            wait_for_port(port, timeout=120)  # the first start runs initdb
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def under_gunicorn() -> Iterator[int]:
    with gunicorn(HTTPBIN) as port:
        yield port


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/docs", id="no-fastapi-docs"),
        pytest.param("/redoc", id="no-redoc"),
        pytest.param("/openapi.json", id="no-openapi"),
        pytest.param("/get?x=1", id="their-route"),
        pytest.param("/status/418", id="their-status"),
    ],
)
def test_serves_exactly_their_app(served, under_gunicorn, path):
    routed = send(served, "GET", path, [], b"")
    assert comparable(routed) == comparable(send(under_gunicorn, "GET", path, [], b""))
    assert routed.header("x-served-by") == "legacy"


def test_flags_live_in_the_embedded_database_and_it_says_so(served, user_folder):
    health = httpx.get(f"http://127.0.0.1:{served}/_strangler/healthz").json()
    assert health["flags"]["provider"] == "embedded"
    assert (user_folder / ".strangler" / "pgdata").is_dir()
    log = (user_folder / "serve.log").read_text()
    said = [line for line in log.splitlines() if "embedded PostgreSQL" in line]
    assert len(said) == 1 and "no DATABASE_URL" in said[0]


def test_serve_says_where_the_dashboard_is_and_how_to_log_in(served, user_folder):
    token = (user_folder / ".strangler" / "dashboard_token").read_text().strip()
    log = (user_folder / "serve.log").read_text()
    dashboard = f"http://127.0.0.1:{served}/_strangler/"

    assert f"dashboard: {dashboard}" in log
    assert f"log in with any name and the password {token}" in log
    let_in = httpx.get(dashboard, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    kept_out = httpx.get(dashboard, timeout=10, follow_redirects=False)
    assert let_in.status_code == 200
    assert kept_out.status_code in (302, 303, 401)


def test_routes_says_every_route_is_legacy(user_folder):
    result = subprocess.run(
        [str(BIN / "strangler"), "routes", "--json"],
        cwd=user_folder,
        env=user_env(STRANGLER_LEGACY_APP=HTTPBIN),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"GET /get", "POST /post", "GET /status/{codes}"} <= {row["key"] for row in rows}
    assert {row["mode"] for row in rows} == {"legacy-only"}
    assert not any(row["new"] for row in rows)


def test_a_bad_database_url_stops_with_one_line(user_folder):
    result = subprocess.run(
        [str(BIN / "strangler"), "serve", "--legacy-app", HTTPBIN, "--port", str(free_port())],
        cwd=user_folder,
        env=user_env(DATABASE_URL="mysql://nobody@nowhere/x"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr


@pytest.mark.slow
def test_two_serves_started_at_once_in_a_new_folder_both_serve(tmp_path):
    """The first start of each initialises, starts and migrates the same embedded
    PostgreSQL: one waits for the other (pgserver's lock, the migration lock), none exits."""
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [str(BIN / "strangler"), "serve", "--legacy-app", HTTPBIN, "--port", str(port)],
            cwd=tmp_path,
            env=user_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            deadline = time.monotonic() + 120  # the first start runs initdb
            while not port_open("127.0.0.1", port):
                assert process.poll() is None, f"a serve exited: {process.communicate()[1]}"
                assert time.monotonic() < deadline, "a serve never listened"
                time.sleep(0.1)
        answers = [httpx.get(f"http://127.0.0.1:{port}/get", timeout=10) for port in ports]
        assert [a.headers["x-served-by"] for a in answers] == ["legacy", "legacy"]
        assert all(process.poll() is None for process in processes)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        if (tmp_path / ".strangler" / "pgdata").is_dir():
            stop_embedded_postgres(tmp_path / ".strangler" / "pgdata")


@pytest.mark.slow
def test_db_url_is_the_embedded_database_and_db_stop_stops_it(tmp_path):
    from strangler.devenv import embedded_postgres_url

    started = embedded_postgres_url(tmp_path / ".strangler")  # as `strangler serve` starts it
    env = user_env()

    def strangler(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "strangler"), *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    url = strangler("db", "url")
    assert url.returncode == 0, url.stderr
    assert url.stdout.strip() == started
    psycopg2.connect(url.stdout.strip()).close()  # what psql "$(strangler db url)" reaches

    stopped = strangler("db", "stop")
    again = strangler("db", "stop")

    assert stopped.stdout.strip() == "stopped"
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(started, connect_timeout=2).close()
    assert again.stdout.strip() == "not running"


def test_db_url_without_a_database_is_one_line(tmp_path):
    result = subprocess.run([str(BIN / "strangler"), "db", "url"], cwd=tmp_path, env=user_env(),
                            capture_output=True, text=True, timeout=60)  # fmt: skip

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no database" in result.stderr

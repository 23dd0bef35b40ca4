"""A second project, built the way most teams build a Flask app (``examples/bookshelf``:
blueprints, Flask-SQLAlchemy, flask-login sessions, a Jinja page, a JSON API, and a partial
FastAPI port on SQLAlchemy 2 async), walked end to end as its team would walk it.

The project is copied to an empty folder with a database of its own, and every step is the
command a user types, in that folder: ``strangler init`` (which reads the login and
database stacks from the source), the app's own schema, ``strangler db upgrade``,
``strangler serve``; a route through shadow (a comparison counted), a sticky
canary (anonymous browsers and a logged-in user each stay on one side over 20 requests),
new, the kill switch; and ``strangler parity run`` with the write route's case green inside
savepoints (nothing left behind), and red once the port is made wrong.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from tests.conftest import empty_database
from tests.router_proxy.servers import free_port, wait_for_port

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bookshelf"
BIN = Path(sys.executable).parent
BOOK = "GET /api/books/{book_id}"
SECRET = "bookshelf-test-secret"
# What init reads in the source and writes: flask-login's session key, and where each app
# keeps its database; the team changes nothing of it.
WRITTEN = (
    '[identity]\nsession_key = "_user_id"',
    'legacy_db = "flask_sqlalchemy"',
    'new_db = "sqlalchemy_async:bookshelf_next.db:SessionLocal"',
)

pytestmark = pytest.mark.slow


@dataclass
class Project:
    folder: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Project]:
    folder = tmp_path_factory.mktemp("bookshelf") / "bookshelf"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    # A user's shell: their database and secret, nothing of this repository's environment.
    unset = ("PYTHONPATH", "STRANGLER_STATE_DIR", "STRANGLER_CONFIG", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    with empty_database(database_url, f"strangler_bookshelf_{os.getpid()}") as url:
        env.update(DATABASE_URL=url, SECRET_KEY=SECRET, COLUMNS="200")
        yield Project(folder, env)

@pytest.fixture(scope="module")
def set_up(project: Project) -> Project:
    init = project.run("strangler", "init")
    assert "bookshelf" in init.stdout
    written = (project.folder / "strangler.toml").read_text()
    assert "bookshelf_next.main:app" in written  # the ASGI port was found too
    assert all(line in written for line in WRITTEN), written
    project.run("flask", "--app", "wsgi", "init-db")  # the app's schema is the app's own
    project.run("strangler", "db", "upgrade")  # the router's tables, nothing else
    users = "INSERT INTO users (id, username, password_hash) VALUES (1, 'ann', %s)"
    from werkzeug.security import generate_password_hash

    with psycopg2.connect(project.env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(users, (generate_password_hash("ann-pw", "pbkdf2:sha256:1000"),))
        cur.execute("INSERT INTO books (title, author, owner_id) VALUES ('Emma', 'Austen', 1)")
    return project


@pytest.fixture(scope="module")
def router(set_up: Project) -> Iterator[str]:
    port = free_port()
    with (set_up.folder / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "strangler"), "serve", "--port", str(port)],
            cwd=set_up.folder, env=set_up.env, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            wait_for_port(port, timeout=60)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def served_by(client: httpx.Client, path: str = "/api/books/1") -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.headers["x-served-by"]


def eventually(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return result


def stored_comparisons(project: Project) -> int:
    """What the guard and the dashboard read: the traffic windows every router writes."""
    with psycopg2.connect(project.env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(comparisons), 0) FROM strangler.route_windows"
                    " WHERE route_key = %s", (BOOK,))  # fmt: skip
        row = cur.fetchone()
    return int(row[0]) if row else 0


def comparisons(base: str) -> int:
    status = httpx.get(f"{base}/_strangler/status").json()
    rows = [row for row in status["routes"] if row["route"] == BOOK]
    return int(rows[0]["comparisons"]) if rows else 0


def test_the_walk_from_shadow_to_new_and_back(set_up: Project, router: str) -> None:
    with httpx.Client(base_url=router) as client:
        assert served_by(client) == "legacy"
        assert "Emma" in client.get("/").text  # the Jinja page, on legacy throughout

        set_up.run("strangler", "flags", "set", BOOK, "--mode", "shadow", "--shadow-sample", "100")
        eventually(lambda: served_by(client) == "legacy" and comparisons(router) >= 1)
        status = httpx.get(f"{router}/_strangler/status").json()
        [row] = [row for row in status["routes"] if row["route"] == BOOK]
        assert row["mismatches"] == 0, row
        eventually(lambda: stored_comparisons(set_up) >= 1, timeout=30)  # in the database

        set_up.run("strangler", "flags", "set", BOOK, "--mode", "canary", "--percent", "50")
        eventually(lambda: _canary_seen(router))

        set_up.run("strangler", "flags", "set", BOOK, "--mode", "new")
        eventually(lambda: served_by(client) == "new")
        set_up.run("strangler", "flags", "kill", "on")
        eventually(lambda: served_by(client) == "legacy")
        set_up.run("strangler", "flags", "kill", "off")
        eventually(lambda: served_by(client) == "new")


def _canary_seen(router: str) -> bool:
    """Each anonymous browser, and the logged-in user, keeps one side over 20 requests;
    across browsers both sides are seen (50%)."""
    sides = set()
    for _ in range(8):
        with httpx.Client(base_url=router) as browser:
            seen = {served_by(browser) for _ in range(20)}
            assert len(seen) == 1, seen
            sides |= seen
    logged_in = set()
    for _ in range(2):  # two browsers of one user: the session's user id picks the side
        with httpx.Client(base_url=router) as browser:
            login = browser.post("/login", json={"username": "ann", "password": "ann-pw"})
            assert login.status_code == 200, login.text
            seen = {served_by(browser) for _ in range(20)}
            assert len(seen) == 1, seen
            logged_in |= seen
    assert len(logged_in) == 1, logged_in
    return sides == {"legacy", "new"}


def test_the_write_routes_parity_case_is_green_in_savepoints_and_leaves_nothing(
    set_up: Project,
) -> None:
    def books() -> int:
        with psycopg2.connect(set_up.env["DATABASE_URL"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM books WHERE title = 'Dune'")
            row = cur.fetchone()
            assert row is not None
            return int(row[0])

    run = set_up.run("strangler", "parity", "run", "--report", "report.html")
    assert "pass: 4" in run.stdout, run.stdout
    assert "book-create" in (set_up.folder / "report.html").read_text()
    assert books() == 0  # both sides created it, inside savepoints rolled back

    # A port that stores what it was not given is caught by the same case.
    port = set_up.folder / "bookshelf_next" / "main.py"
    original = port.read_text()
    port.write_text(original.replace("title=data.title", "title=data.title.upper()"))
    try:
        wrong = set_up.run("strangler", "parity", "run", check=False)
    finally:
        port.write_text(original)
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert "fail: 1" in wrong.stdout  # the answer and the stored row both differ
    assert "$.title, rows[0].after.title" in wrong.stdout, wrong.stdout
    assert books() == 0

"""A local Unleash server (the pinned unleash-server of ``strangler/unleash``) on PostgreSQL.

Used by ``make unleash`` (``python -m strangler.unleash_local``), ``strangler up --unleash``
and the test suite. The package ships only ``package.json``, its lock file and
``server.js``; the first start installs the server (``npm install``, about 40 s) into a
cache folder of this user, ``~/.cache/strangler/unleash-<version>`` (``XDG_CACHE_HOME``;
``STRANGLER_UNLEASH_HOME`` names another), never into the installed package. It creates
its database if missing, starts ``node server.js`` with API tokens from the environment
(or generated), waits for ``/health`` and prints URL and tokens.

Example:
    >>> url = "postgresql://postgres@127.0.0.1:5432/unleash"
    >>> server = start_local_unleash(url)  # doctest: +SKIP
    >>> server.url  # doctest: +SKIP
    'http://127.0.0.1:4242'
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from rollout.errors import UnleashUnavailable

SOURCE_DIR = Path(__file__).resolve().parent / "unleash"
SHIPPED = ("package.json", "package-lock.json", "server.js")


def unleash_home(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the server is installed and runs from (one per pinned version, per user)."""
    if environ.get("STRANGLER_UNLEASH_HOME"):
        return Path(environ["STRANGLER_UNLEASH_HOME"])
    version = json.loads((SOURCE_DIR / "package.json").read_text())["dependencies"]
    cache = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "strangler" / f"unleash-{version['unleash-server']}"


@dataclass
class LocalUnleash:
    url: str
    admin_token: str
    client_token: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """SIGTERM to node itself (not a shell), then wait."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ensure_installed(home: Path | None = None, timeout: float = 600) -> Path:
    """The install folder, with the shipped files current and the server installed."""
    home = home or unleash_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED:
            shipped = (SOURCE_DIR / name).read_bytes()
            target = home / name
            if not target.exists() or target.read_bytes() != shipped:
                target.write_bytes(shipped)
    except OSError as exc:
        raise UnleashUnavailable(f"cannot prepare {home} for Unleash ({exc})") from exc
    if (home / "node_modules" / "unleash-server" / "package.json").exists():
        return home
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise UnleashUnavailable("node and npm are needed to run Unleash (not on PATH)")
    command = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        subprocess.run(command, cwd=home, check=True, timeout=timeout, capture_output=True)
    except (subprocess.SubprocessError, OSError) as exc:
        raise UnleashUnavailable(f"npm install in {home} failed ({exc})") from exc
    return home


def ensure_database(database_url: str) -> None:
    """Creates the database ``database_url`` names, on the same server, if it is missing."""
    url = make_url(database_url)
    name = url.database or "unleash"
    admin_url = url.set(database="postgres").render_as_string(hide_password=False)
    try:
        conn = psycopg2.connect(admin_url, connect_timeout=5)
    except psycopg2.Error as exc:
        raise UnleashUnavailable(f"PostgreSQL unreachable for Unleash: {exc}") from exc
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def node_database_url(database_url: str) -> str:
    """The URL in a shape Node's URL parser takes: a Unix-socket URL (``postgresql://u@/db?host=
    /dir``, as the embedded pgserver gives) has no host, which Node rejects, so the socket
    directory travels in ``?host=`` beside a placeholder host (server.js prefers it)."""
    url = make_url(database_url)
    socket_dir = url.query.get("host")
    if isinstance(socket_dir, tuple):
        socket_dir = socket_dir[0]
    node = url.set(drivername="postgres", query={})
    if socket_dir:
        node = node.set(host="localhost")
    rendered = node.render_as_string(hide_password=False)
    return f"{rendered}?host={quote(socket_dir, safe='/')}" if socket_dir else rendered


def start_local_unleash(
    database_url: str,
    port: int = 4242,
    admin_token: str | None = None,
    client_token: str | None = None,
    log_path: Path | None = None,
    ready_timeout: float = 90,
) -> LocalUnleash:
    home = ensure_installed()
    ensure_database(database_url)
    admin = admin_token or f"*:*.{secrets.token_hex(16)}"
    client = client_token or f"default:development.{secrets.token_hex(16)}"
    env = {
        **os.environ,
        "SEND_TELEMETRY": "false",
        "CHECK_VERSION": "false",
        "UNLEASH_DATABASE_URL": node_database_url(database_url),
        "UNLEASH_PORT": str(port),
        "UNLEASH_ADMIN_TOKEN": admin,
        "UNLEASH_CLIENT_TOKEN": client,
    }
    output = log_path.open("ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        ["node", "server.js"], cwd=home, env=env, stdout=output, stderr=output
    )
    server = LocalUnleash(f"http://127.0.0.1:{port}", admin, client, process)
    _wait_healthy(server, ready_timeout)
    return server


def _wait_healthy(server: LocalUnleash, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise UnleashUnavailable(f"unleash server exited ({server.process.returncode})")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).json().get("health") == "GOOD":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    server.stop()
    raise UnleashUnavailable(f"unleash server not healthy after {timeout:.0f} s")


def saved_tokens(state_dir: Path) -> tuple[str, str]:
    """Tokens from the environment, else generated once into .strangler/ (stable per checkout)."""
    path = state_dir / "unleash-tokens.json"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        tokens = {
            "admin": f"*:*.{secrets.token_hex(16)}",
            "client": f"default:development.{secrets.token_hex(16)}",
        }
        path.write_text(json.dumps(tokens))
        path.chmod(0o600)
    tokens = json.loads(path.read_text())
    return (
        os.environ.get("UNLEASH_ADMIN_TOKEN") or tokens["admin"],
        os.environ.get("UNLEASH_CLIENT_TOKEN") or tokens["client"],
    )


def main() -> None:
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    database = make_url(base).set(database="unleash").render_as_string(hide_password=False)
    port = int(os.environ.get("UNLEASH_PORT", "4242"))
    admin, client = saved_tokens(Path(os.environ.get("STRANGLER_STATE_DIR", ".strangler")))
    try:
        server = start_local_unleash(database, port, admin, client)
    except UnleashUnavailable as exc:
        sys.exit(f"strangler: {exc}")
    print(f"Unleash at {server.url} (UI login admin / unleash4all)")
    print(f"  UNLEASH_URL={server.url}")
    print(f"  UNLEASH_ADMIN_TOKEN='{server.admin_token}'")
    print(f"  UNLEASH_CLIENT_TOKEN='{server.client_token}'")
    print("Ctrl-C stops it.", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

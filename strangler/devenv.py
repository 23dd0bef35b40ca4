"""Find or start what the project needs to run here, then run a command inside that environment.

`make demo` and `make test` go through this module so that a fresh laptop with no
PostgreSQL and a CI machine with a local one both work with the same two commands:

- ``DATABASE_URL`` set: used as is.
- ``test`` only: a PostgreSQL answering on 127.0.0.1:5432 (database ``test``) is used.
- otherwise: an embedded PostgreSQL (the ``pgserver`` package) under ``.strangler/pgdata``.
- ``REDIS_URL`` set: used; for ``test``, a Redis on 127.0.0.1:6379 is used if it answers;
  otherwise none, and the Redis-dependent tests skip with a reason.
- ``SECRET_KEY``: set, else one generated once into ``.strangler/secret_key``.

The embedded PostgreSQL keeps running after the command that started it (the next one
reuses it); ``strangler db stop`` stops it.

Example:
    python -m strangler.devenv test -- pytest -q
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

STATE_DIR = Path(os.environ.get("STRANGLER_STATE_DIR", ".strangler"))
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def local_postgres_ready() -> bool:
    if not port_open("127.0.0.1", 5432):
        return False
    import psycopg2

    try:
        psycopg2.connect(LOCAL_POSTGRES, connect_timeout=2).close()
    except psycopg2.Error:
        return False
    return True


def embedded_postgres_url(state_dir: Path = STATE_DIR) -> str:
    """Start (or reuse) the embedded PostgreSQL; it outlives this process on purpose."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers): harmless here.
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ModuleNotFoundError:
            sys.exit("strangler: no DATABASE_URL, and no embedded PostgreSQL to start one: set"
                     " DATABASE_URL, or pip install 'strangler[embedded]'")  # fmt: skip

        server = pgserver.get_server(  # type: ignore[attr-defined]
            str((state_dir / "pgdata").resolve()), cleanup_mode=None
        )
    return str(server.get_uri())


def stop_embedded_postgres(pgdata: Path, timeout: float = 30.0) -> bool:
    """Stop the embedded server of ``pgdata`` (PostgreSQL's fast shutdown, SIGINT, as
    ``pg_ctl stop -m fast`` sends); False when none was running."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)
    except (OSError, ValueError, IndexError):
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    raise TimeoutError(f"PostgreSQL (pid {pid}) still running after {timeout:.0f} s")


def database_url(purpose: str, env: Mapping[str, str]) -> tuple[str, str]:
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"], "DATABASE_URL"
    if purpose == "test" and local_postgres_ready():
        return LOCAL_POSTGRES, "local PostgreSQL on 127.0.0.1:5432"
    return embedded_postgres_url(), f"embedded PostgreSQL under {STATE_DIR}/pgdata"


def redis_url(purpose: str, env: Mapping[str, str]) -> str | None:
    if env.get("REDIS_URL"):
        return env["REDIS_URL"]
    if purpose == "test" and port_open("127.0.0.1", 6379):
        return LOCAL_REDIS
    return None


def secret_key(env: Mapping[str, str], state_dir: Path = STATE_DIR) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    return generated_once(state_dir / "secret_key", lambda: secrets.token_hex(32))


def generated_once(path: Path, make: Callable[[], str]) -> str:
    """The secret kept at ``path``, made by ``make`` the first time (mode 0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked: two processes starting at once
        # agree on one value, and neither ever reads a half-written file.
        draft = path.parent / f".{path.name}.{os.getpid()}"
        draft.write_text(make())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def build_environment(purpose: str, env: Mapping[str, str], quiet: bool = False) -> dict[str, str]:
    result = dict(env)
    url, source = database_url(purpose, env)
    result["DATABASE_URL"] = url
    result["SECRET_KEY"] = secret_key(env)
    redis = redis_url(purpose, env)
    if redis:
        result["REDIS_URL"] = redis
    else:
        result.pop("REDIS_URL", None)
    if not quiet:
        print(f"strangler: database: {source}; redis: {redis or 'none'}", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[0] not in ("test", "demo") or args[1] != "--":
        sys.exit("usage: python -m strangler.devenv test|demo -- COMMAND [ARGS...]")
    environment = build_environment(args[0], os.environ)
    sys.stdout.flush()
    os.execvpe(args[2], args[2:], environment)


if __name__ == "__main__":
    main()

"""The side-by-side deployment for the capacity and fault benches: ``strangler up`` on
free loopback ports, pinned to the server core, on the seeded bench database, with a
chosen share of the routes on the port.

Example:
    with Deployment(url, layout=HALF, workers=Workers()) as deployment:
        deployment.url("/api/v1/me")
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from types import TracebackType

from bench.harness import SERVER_CORE, BenchError, free_port, pinned
from strangler.deploy.supervisor import healthy

ROOT = Path(__file__).resolve().parent.parent
# A database of the deployment benches' own: other benches re-seed (drop) theirs mid-run.
DEPLOY_DB = "strangler_bench_deploy"

# The API's routes, and the half that "half-migrated" moves to the port: reads and writes
# on both sides, so a fault hits traffic on each app.
API_ROUTES = (
    "GET /api/v1/accounts",
    "POST /api/v1/accounts",
    "GET /api/v1/accounts/{account_id}",
    "PATCH /api/v1/accounts/{account_id}",
    "GET /api/v1/accounts/{account_id}/ledger",
    "GET /api/v1/accounts/{account_id}/summary",
    "GET /api/v1/me",
    "GET /api/v1/payments",
    "POST /api/v1/payments",
    "GET /api/v1/payments/{payment_id}",
    "POST /api/v1/payments/{payment_id}/refunds",
    "POST /api/v1/transfers",
)
HALF_ON_NEW = (
    "GET /api/v1/accounts/{account_id}",
    "GET /api/v1/accounts/{account_id}/summary",
    "GET /api/v1/payments/{payment_id}",
    "POST /api/v1/transfers",
    "POST /api/v1/accounts",
    "GET /api/v1/me",
)
LAYOUTS: dict[str, tuple[str, ...]] = {
    "legacy-only": (),
    "half-migrated": HALF_ON_NEW,
    "fully-migrated": API_ROUTES,
}


@dataclass(frozen=True)
class Workers:
    legacy: int = 2
    legacy_class: str = "sync"
    new: int = 2
    router: int = 2

    def describe(self) -> str:
        return (
            f"gunicorn {self.legacy} {self.legacy_class} + uvicorn {self.new} (port)"
            f" + router {self.router}"
        )


# The demo project's apps, as its own strangler.toml names them (strangler up serves only
# what [apps] names).
CONFIG = """\
[apps]
legacy = "legacy_flask.wsgi:app"
new = "fastapi_app.main:app"

[up]
legacy_config = "python:legacy_flask.gunicorn_conf"

[router]
circuit_reset_seconds = 2.0

[flags]
provider = "{provider}"
refresh_interval = 1
"""


class Deployment:
    """``strangler up`` in a subprocess; ``layout`` routes go to the port via the flags."""

    def __init__(
        self, database_url: str, layout: str, workers: Workers, unleash: bool = False
    ) -> None:
        self.database_url = database_url
        self.layout = layout
        self.workers = workers
        self.unleash = unleash
        self.ports = {name: free_port() for name in ("router", "legacy", "new", "unleash")}
        self._tmp = TemporaryDirectory()
        self.dir = Path(self._tmp.name)
        # Kept after the run (the temp dir is not): what each process said, for a post-mortem.
        self.log_path = ROOT / ".strangler" / f"bench-up-{layout}.log"
        self.state_file = self.dir / "up.json"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports['router']}{path}"

    def pids(self) -> dict[str, int]:
        return dict(json.loads(self.state_file.read_text())["processes"])

    def __enter__(self) -> Deployment:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        config = self.dir / "strangler.toml"
        config.write_text(CONFIG.format(provider="unleash" if self.unleash else "embedded"))
        command = [
            str(Path(sys.executable).parent / "strangler"),
            "up",
            "--config", str(config),
            "--router-port", str(self.ports["router"]),
            "--legacy-port", str(self.ports["legacy"]),
            "--new-port", str(self.ports["new"]),
            "--unleash-port", str(self.ports["unleash"]),
            "--legacy-workers", str(self.workers.legacy),
            "--legacy-worker-class", self.workers.legacy_class,
            "--new-workers", str(self.workers.new),
            "--router-workers", str(self.workers.router),
            "--no-access-log", "--no-migrate",
            "--state-file", str(self.state_file),
            *(["--unleash"] if self.unleash else []),
        ]  # fmt: skip
        env = {**os.environ, "DATABASE_URL": self.database_url}
        self.process = subprocess.Popen(
            pinned(command, SERVER_CORE),
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
            self._apply_layout()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"strangler up exited:\n{self.log_path.read_text()[-3000:]}")
            if self.state_file.exists() and healthy(self.url("/_strangler/readyz")):
                return
            time.sleep(0.2)
        raise BenchError("strangler up not ready in time")

    def _apply_layout(self) -> None:
        from rollout.flags.settings import flag_settings, flag_writer
        from rollout.types import Mode, RouteFlag

        env = dict(os.environ)
        if self.unleash:
            from strangler.unleash_local import saved_tokens

            state = Path(os.environ.get("STRANGLER_STATE_DIR", ROOT / ".strangler"))
            admin, _ = saved_tokens(state)
            env |= {"UNLEASH_URL": f"http://127.0.0.1:{self.ports['unleash']}"}
            env |= {"UNLEASH_ADMIN_TOKEN": admin}
        provider = "unleash" if self.unleash else "embedded"
        writer = flag_writer(flag_settings({}, env, provider), self.database_url)
        on_new = set(LAYOUTS[self.layout])
        for route in API_ROUTES:
            mode = Mode.NEW if route in on_new else Mode.LEGACY
            writer.set_flag(route, RouteFlag(mode=mode), actor="bench")
        time.sleep(3)  # LISTEN/NOTIFY is immediate; the Unleash SDK polls once a second

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._tmp.cleanup()

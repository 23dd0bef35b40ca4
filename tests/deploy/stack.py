"""``strangler up`` in a subprocess on free ports, for the deployment tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from tests.fixtures.rollout import free_port

ROOT = Path(__file__).resolve().parents[2]
# A short circuit reset: a killed backend's few 502s must not keep it out for 30 s here.
CONFIG = """\
[apps]
legacy = "legacy_flask.wsgi:app"
new = "fastapi_app.main:app"

[router]
circuit_reset_seconds = 1.0

[flags]
provider = "embedded"

[up]
drain_seconds = 5
legacy_config = "python:legacy_flask.gunicorn_conf"
"""


@dataclass
class Stack:
    process: subprocess.Popen[str]
    state_file: Path
    log_file: Path
    router_url: str
    legacy_url: str
    new_url: str

    def pids(self) -> dict[str, int]:
        return dict(json.loads(self.state_file.read_text())["processes"])

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def log(self) -> str:
        return self.log_file.read_text()


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not healthy after {timeout} s")


@contextmanager
def running_up(tmp_path: Path, database_url: str, *extra: str) -> Iterator[Stack]:
    router, legacy, new = free_port(), free_port(), free_port()
    config = tmp_path / "strangler.toml"
    config.write_text(CONFIG)
    stack = Stack(
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from strangler.cli import main; main()",
                "up",
                "--config",
                str(config),
                "--router-port",
                str(router),
                "--legacy-port",
                str(legacy),
                "--new-port",
                str(new),
                "--unleash-port",
                str(free_port()),
                "--legacy-workers",
                "1",
                "--new-workers",
                "1",
                "--router-workers",
                "1",
                "--no-migrate",
                "--state-file",
                str(tmp_path / "up.json"),
                *extra,
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            stdout=(tmp_path / "up.log").open("w"),
            stderr=subprocess.STDOUT,
            text=True,
        ),
        tmp_path / "up.json",
        tmp_path / "up.log",
        f"http://127.0.0.1:{router}",
        f"http://127.0.0.1:{legacy}",
        f"http://127.0.0.1:{new}",
    )
    try:
        wait_for(f"{stack.router_url}/_strangler/readyz")
        deadline = time.monotonic() + 5
        while not stack.state_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield stack
    finally:
        if stack.process.poll() is None:
            stack.process.send_signal(signal.SIGTERM)
            try:
                stack.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stack.process.kill()

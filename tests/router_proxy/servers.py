"""Servers for the router tests: the test apps direct (gunicorn, uvicorn subprocesses) and
the router under uvicorn in a thread, in-process or remote."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from router_proxy.types import ASGIApp

ROOT = Path(__file__).resolve().parents[2]
FLASK_TARGET = "tests.router_proxy.apps.flask_app:app"
FASTAPI_TARGET = "tests.router_proxy.apps.fastapi_app:app"
# A plain WSGI app (no url_map) that echoes the target and digests bodies.
ECHO_TARGET = "tests.router_proxy.apps.echo_wsgi:app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def subprocess_server(args: list[str], port: int) -> Iterator[int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bin_dir = Path(sys.executable).parent
    process = subprocess.Popen(
        [str(bin_dir / args[0]), *args[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def gunicorn(target: str = FLASK_TARGET, threads: int = 8) -> Iterator[int]:
    port = free_port()
    args = ["gunicorn", "-k", "gthread", "--threads", str(threads), "-b", f"127.0.0.1:{port}"]
    with subprocess_server([*args, target], port):
        yield port


@contextmanager
def uvicorn_process(target: str = FASTAPI_TARGET) -> Iterator[int]:
    port = free_port()
    args = ["uvicorn", "--port", str(port), "--log-level", "warning"]
    with subprocess_server([*args, "--proxy-headers", "--forwarded-allow-ips", "*", target], port):
        yield port


@dataclass
class ThreadServer:
    port: int
    server: uvicorn.Server


@contextmanager
def uvicorn_thread(app: ASGIApp, root_path: str = "", http: Any = "auto") -> Iterator[ThreadServer]:
    port = free_port()
    config = uvicorn.Config(
        app,
        http=http,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        root_path=root_path,
        server_header=False,
        date_header=False,
        proxy_headers=False,  # the router resolves forwarding headers itself (A4)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("router server died at startup")
        time.sleep(0.02)
    try:
        yield ThreadServer(port, server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)

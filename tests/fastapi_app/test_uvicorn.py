"""The port really served by uvicorn in a subprocess, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.fastapi_app.conftest import write_headers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(base: str, process: subprocess.Popen[str], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"uvicorn exited: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("uvicorn did not become ready")


@pytest.fixture
def served(database_url, db):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "fastapi_app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_uvicorn_serves_the_port(served, make_owner, make_account):
    owner = make_owner()
    account_id = make_account(owner, balance=100)
    with httpx.Client(base_url=served, timeout=10) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        body = {
            "account_id": account_id,
            "amount_cents": 40,
            "currency": "EUR",
            "merchant": "Ramen Ya",
        }
        created = client.post("/api/v1/payments", json=body, headers=write_headers(owner))
        assert created.status_code == 201
        account = client.get(f"/api/v1/accounts/{account_id}", headers=owner.headers)
        assert account.json()["balance_cents"] == 60
        head = client.head(f"/api/v1/accounts/{account_id}", headers=owner.headers)
        assert (head.status_code, head.content) == (200, b"")
        huge = client.post(
            "/api/v1/payments", content=b"x" * (1024 * 1024 + 1), headers=write_headers(owner)
        )
        assert huge.status_code == 413

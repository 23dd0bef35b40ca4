"""gunicorn really serves the legacy app with the project's config, on a free local port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(database_url, db):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "WEB_CONCURRENCY": "2"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:legacy_flask.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "legacy_flask.wsgi:app",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def test_gunicorn_serves_reads_and_writes(served, make_owner, make_account):
    owner = make_owner()
    account_id = make_account(owner, balance=100)
    with httpx.Client(base_url=served, headers=owner.headers, timeout=10) as client:
        assert client.get("/readyz").json() == {"status": "ready"}
        listed = client.get("/api/v1/accounts")
        assert [row["id"] for row in listed.json()["data"]] == [account_id]
        paid = client.post(
            "/api/v1/payments",
            headers={"Idempotency-Key": "k1"},
            json={"account_id": account_id, "amount_cents": 40, "currency": "EUR", "merchant": "m"},
        )
        assert paid.status_code == 201


def test_non_ascii_idempotency_key_is_400_over_the_wire(served, make_owner):
    owner = make_owner()
    headers = {**owner.headers, "Idempotency-Key": "clé".encode()}
    response = httpx.post(
        f"{served}/api/v1/accounts", json={"currency": "EUR"}, headers=headers, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "fields": {"Idempotency-Key": "must be 1 to 255 printable ASCII characters"}
    }


def test_ten_megabytes_over_the_wire_is_413_json(served, make_owner):
    owner = make_owner()
    response = httpx.post(
        f"{served}/api/v1/payments",
        content=b"x" * (10 * 1024 * 1024),
        headers={**owner.headers, "Idempotency-Key": "big"},
        timeout=10,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"

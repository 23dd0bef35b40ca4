"""deploy/nginx/: the split-at-nginx config passes ``nginx -t`` and, run against a real
``strangler up`` stack's legacy and new servers, sends each route where its block says."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.rollout import free_port

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "strangler-split.conf"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (Debian: nginx)")


def localised(tmp_path: Path, listen: int, legacy: str, new: str) -> Path:
    """The shipped config with this test's ports and a private pid/temp directory."""
    text = CONFIG.read_text().replace("/tmp/strangler-nginx", str(tmp_path / "nginx"))
    text = text.replace("127.0.0.1:8080", f"127.0.0.1:{listen}")
    text = text.replace("127.0.0.1:8001", legacy.removeprefix("http://"))
    text = text.replace("127.0.0.1:8002", new.removeprefix("http://"))
    text = text.replace("worker_processes auto;", "worker_processes 1;\ndaemon off;")
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


def test_shipped_config_passes_nginx_t():
    assert NGINX is not None
    result = subprocess.run([NGINX, "-t", "-c", str(CONFIG)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("method", "path", "side"),
    [
        pytest.param("GET", "/api/v1/me", "new", id="me-on-new"),
        pytest.param("GET", "/api/v1/accounts/1", "new", id="account-read-on-new"),
        pytest.param("PATCH", "/api/v1/accounts/1", "legacy", id="account-patch-on-legacy"),
        pytest.param("GET", "/api/v1/accounts/1/summary", "new", id="summary-on-new"),
        pytest.param("GET", "/api/v1/accounts", "legacy", id="account-list-on-legacy"),
        pytest.param("GET", "/api/v1/payments", "legacy", id="payment-list-on-legacy"),
        pytest.param("POST", "/api/v1/transfers", "new", id="transfers-on-new"),
        pytest.param("GET", "/healthz", "legacy", id="probe-on-legacy"),
    ],
)
def test_each_route_reaches_its_upstream(stack, tmp_path, method, path, side):
    assert NGINX is not None
    listen = free_port()
    nginx = subprocess.Popen(
        [NGINX, "-c", str(localised(tmp_path, listen, stack.legacy_url, stack.new_url))],
        stderr=subprocess.PIPE,
    )
    try:
        response = _first_answer(f"http://127.0.0.1:{listen}", method, path)
        assert response.headers["x-served-by"] == side
        # The apps answer (401 without credentials): nginx reached a live upstream.
        assert response.status_code in (200, 400, 401), response.text
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


def _first_answer(base: str, method: str, path: str) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx.request(method, base + path, timeout=5)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)

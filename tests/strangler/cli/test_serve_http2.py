"""``strangler serve --http2``: granian serving the router on one port in HTTP/2 (h2c with
prior knowledge in clear, h2 by ALPN over TLS) and HTTP/1.1, checked with a real h2
client (httpx with h2) against the router's test apps and the real database."""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.router_proxy.servers import FASTAPI_TARGET, FLASK_TARGET, ROOT, free_port, wait_for_port
from tests.strangler.cli.test_serve_own_app import BIN

CONFIG = '[flags]\nprovider = "static"\n\n[compression]\nenabled = true\n'


@contextmanager
def strangler_serve(folder: Path, *options: str) -> Iterator[int]:
    port = free_port()
    apps = ["--legacy-app", FLASK_TARGET, "--new-app", FASTAPI_TARGET]
    command = [str(BIN / "strangler"), "serve", "--http2", "--port", str(port), *apps, *options]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with (folder / f"serve-{port}.log").open("w") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
        try:
            wait_for_port(port, timeout=60)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("http2")
    (path / "strangler.toml").write_text(CONFIG)
    return path


@pytest.fixture(scope="module")
def cleartext(folder: Path, database_url: str) -> Iterator[int]:
    with strangler_serve(folder) as port:
        yield port


@pytest.fixture(scope="module")
def certificate(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (Debian package openssl): no certificate for TLS")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls(folder: Path, certificate: tuple[Path, Path], database_url: str) -> Iterator[int]:
    cert, key = certificate
    with strangler_serve(folder, "--certfile", str(cert), "--keyfile", str(key)) as port:
        yield port


def h2_client(**options: object) -> httpx.Client:
    return httpx.Client(http1=False, http2=True, timeout=10, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "served_by"),
    [
        pytest.param("/", "legacy", id="flask-route"),
        pytest.param("/new-only", "new", id="fastapi-route"),
        pytest.param("/items/7", "legacy", id="shared-route-on-legacy"),
    ],
)
def test_h2c_with_prior_knowledge_serves_both_apps(cleartext: int, path: str, served_by: str):
    with h2_client() as client:
        response = client.get(f"http://127.0.0.1:{cleartext}{path}")
    assert (response.http_version, response.status_code) == ("HTTP/2", 200)
    assert response.headers["x-served-by"] == served_by


def test_http1_still_answers_on_the_same_port(cleartext: int) -> None:
    response = httpx.get(f"http://127.0.0.1:{cleartext}/items/3", timeout=10)
    assert response.http_version == "HTTP/1.1"
    assert response.json()["id"] == 3


def test_one_connection_carries_100_concurrent_streams(cleartext: int) -> None:
    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(http1=False, http2=True, limits=limits, timeout=30) as client:
            url = f"http://127.0.0.1:{cleartext}/items/{{}}"
            responses = await asyncio.gather(*(client.get(url.format(n)) for n in range(100)))
            pool = client._transport._pool  # type: ignore[attr-defined]
            assert len(pool.connections) == 1
            return list(responses)

    responses = asyncio.run(main())
    assert {r.http_version for r in responses} == {"HTTP/2"}
    assert [r.json()["id"] for r in responses] == list(range(100))


def test_legacy_sees_the_authority_as_host(cleartext: int) -> None:
    with h2_client() as client:
        seen = client.get(f"http://127.0.0.1:{cleartext}/echo-environ?a=1").json()
    assert seen["url"] == f"http://127.0.0.1:{cleartext}/echo-environ?a=1"
    assert "HTTP_HOST" in seen["headers"]


def test_a_streamed_answer_is_compressed_over_h2(cleartext: int) -> None:
    url = f"http://127.0.0.1:{cleartext}/stream?n=300&delay=0"
    with (
        h2_client() as client,
        client.stream("GET", url, headers={"accept-encoding": "gzip"}) as response,
    ):
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == b"".join(f"chunk {i}\n".encode() for i in range(300))


def test_tls_negotiates_h2_by_alpn_and_h1_for_clients_without_it(
    tls: int, certificate: tuple[Path, Path]
) -> None:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with httpx.Client(http2=True, verify=context, timeout=10) as client:
        h2 = client.get(f"https://127.0.0.1:{tls}/new-only")
    with httpx.Client(verify=context, timeout=10) as client:
        h1 = client.get(f"https://127.0.0.1:{tls}/new-only")
    assert (h2.http_version, h2.headers["x-served-by"]) == ("HTTP/2", "new")
    assert h1.http_version == "HTTP/1.1"
    assert h1.json() == h2.json()


def test_a_certificate_without_its_key_stops_with_one_line(folder: Path) -> None:
    result = subprocess.run(
        [str(BIN / "strangler"), "serve", "--http2", "--certfile", "cert.pem"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--certfile and --keyfile go together" in result.stderr


def test_no_compress_on_the_command_line_overrides_the_file(folder: Path, database_url: str):
    url = "/stream?n=300&delay=0"
    with strangler_serve(folder, "--no-compress") as port, h2_client() as client:
        response = client.get(f"http://127.0.0.1:{port}{url}", headers={"accept-encoding": "gzip"})
    assert response.http_version == "HTTP/2"
    assert "content-encoding" not in response.headers

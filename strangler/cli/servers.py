"""The ASGI servers ``strangler serve`` runs the router under: uvicorn (HTTP/1.1, the
default) or, with ``--http2``, granian (HTTP/2 and HTTP/1.1 on one port: h2 by ALPN over
TLS, h2c with prior knowledge in clear). Granian and not hypercorn: on this machine's
router it served 100 streams on one connection at 20-27x hypercorn's rate (which also
failed some of them), and its HTTP/1.1 matched uvicorn's (bench/RESULTS.md,
``make bench BENCH=http2``).

Example:
    >>> Listener(port=8443, certfile=Path("cert.pem"), keyfile=Path("key.pem")).url
    'https://127.0.0.1:8443'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router_proxy.types import ASGIApp

# The factory each server process calls (router_proxy.serving reads its settings from the
# environment): granian always runs the app in worker processes, uvicorn with --workers.
APP_FACTORY = "router_proxy.serving:create_app"


@dataclass(frozen=True, slots=True)
class Listener:
    """Where and how the router listens."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    http2: bool = False
    certfile: Path | None = None
    keyfile: Path | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.certfile else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def in_worker_processes(self) -> bool:
        return self.http2 or self.workers > 1


def run_uvicorn(app: ASGIApp, listener: Listener) -> None:
    import uvicorn

    from router_proxy.server_errors import router_uvicorn_options

    options: dict[str, Any] = {
        **router_uvicorn_options(),
        "host": listener.host,
        "port": listener.port,
        "log_level": "info",
        "ssl_certfile": listener.certfile,
        "ssl_keyfile": listener.keyfile,
    }
    if listener.workers > 1:
        uvicorn.run(APP_FACTORY, factory=True, workers=listener.workers, **options)
    else:
        uvicorn.run(app, **options)


def run_granian(listener: Listener) -> None:
    try:
        from granian import Granian
        from granian.constants import HTTPModes, Interfaces
    except ModuleNotFoundError:
        from rollout.errors import MissingExtra
        from strangler.cli._common import fail

        fail(str(MissingExtra("strangler serve --http2", "http2")))

    server = Granian(
        APP_FACTORY,
        factory=True,
        address=listener.host,
        port=listener.port,
        interface=Interfaces.ASGI,
        http=HTTPModes.auto,
        workers=listener.workers,
        ssl_cert=listener.certfile,
        ssl_key=listener.keyfile,
        # the router writes its own access line (router_proxy.logs), shaped and redacted
        log_access=False,
    )
    server.serve()

"""The router under uvicorn with the router's own answer to unparsable requests.

uvicorn's command line takes its HTTP protocol from a fixed list (``--http
h11|httptools``), so it cannot run ``router_proxy.server_errors.JsonErrorsHttp``: a request
uvicorn cannot parse would get its ``400 text/plain``. This entry is what ``strangler up``
and the Kubernetes manifests run instead of ``uvicorn``: the same options they pass, the
router's factory (``strangler.deploy.router_app:create``) and uvicorn's ``http`` hook set.
Headers the router adds itself (one Date, one Server) and X-Forwarded-For (resolved by the
router from trusted proxies only) are never uvicorn's here.

Example:
    python -m strangler.deploy.router_server --host 0.0.0.0 --port 8000 --workers 2
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

FACTORY = "strangler.deploy.router_app:create"


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m strangler.deploy.router_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=25)
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"))  # fmt: skip
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    from router_proxy.server_errors import router_uvicorn_options

    args = parse(argv)
    uvicorn.run(
        FACTORY,
        **router_uvicorn_options(),
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        log_level=args.log_level,
        # the router writes its own access event (router_proxy.logs), shaped and redacted
        access_log=False,
    )


if __name__ == "__main__":
    main()

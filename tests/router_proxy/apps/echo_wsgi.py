"""A plain WSGI app (no Flask, no url_map) that echoes the request target as the server
handed it: what apps that parse ``RAW_URI`` themselves see. ``/crash`` raises before it
answers; ``/own-server`` sets its own ``Server``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

ECHOED = ("RAW_URI", "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/crash":
        raise RuntimeError("the app failed (Idempotency-Key: idem-secret-in-traceback)")
    headers = [("Content-Type", "application/json")]
    if path == "/own-server":
        headers.append(("Server", "echo/1.0"))
    body = json.dumps({key: environ.get(key) for key in ECHOED}).encode()
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]

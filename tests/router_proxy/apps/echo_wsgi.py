"""A plain WSGI app (no Flask, no url_map) that echoes the request target as the server
handed it: what apps that parse ``RAW_URI`` themselves see. ``/crash`` raises before it
answers; ``/own-server`` sets its own ``Server``; ``/digest`` reads the body in 64 KiB
reads and answers its length and SHA-256."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

ECHOED = ("RAW_URI", "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/crash":
        raise RuntimeError("the app failed (Idempotency-Key: idem-secret-in-traceback)")
    if path == "/digest":
        return _digest(environ, start_response)
    headers = [("Content-Type", "application/json")]
    if path == "/own-server":
        headers.append(("Server", "echo/1.0"))
    body = json.dumps({key: environ.get(key) for key in ECHOED}).encode()
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _digest(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    digest, length = hashlib.sha256(), 0
    stream = environ["wsgi.input"]
    while chunk := stream.read(64 * 1024):
        digest.update(chunk)
        length += len(chunk)
    body = json.dumps({"length": length, "sha256": digest.hexdigest()}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]

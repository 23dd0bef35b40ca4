"""The router's own answer to a request its HTTP server could not parse: the JSON error
shape every answer the router gives itself has (A23), instead of the server's
``400 text/plain``.

uvicorn takes an HTTP protocol class (its ``http`` option, the hook it offers for this);
``JsonErrorsHttp`` is its httptools protocol with one thing changed, the 400 it writes
when parsing fails. Nothing changes on a request that parses: there is no per-request
cost, only the error path differs. ``strangler serve`` runs uvicorn with it.

Example:
    uvicorn.run(app, http=JsonErrorsHttp, server_header=False, date_header=False)
"""

from __future__ import annotations

import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from router_proxy.errors import error_body
from router_proxy.server_headers import http_date

BAD_REQUEST = error_body("bad_request", "Malformed HTTP request.")


def bad_request_bytes(now: float) -> bytes:
    """The whole 400 answer on the wire (the connection closes after it)."""
    head = [
        b"HTTP/1.1 400 Bad Request",
        b"date: " + http_date(now),
        b"server: uvicorn",
        b"content-type: application/json",
        b"content-length: " + str(len(BAD_REQUEST)).encode(),
        b"x-served-by: router",
        b"connection: close",
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + BAD_REQUEST


def router_uvicorn_options() -> dict[str, Any]:
    """What every uvicorn the router runs under shares, wherever it is started from
    (``strangler serve``, ``strangler up``, the Kubernetes manifest)."""
    return {
        "lifespan": "on",
        # A request uvicorn cannot parse gets the router's JSON 400, not its text/plain one.
        "http": JsonErrorsHttp,
        # The router resolves X-Forwarded-For itself, from trusted proxies only.
        "proxy_headers": False,
        # One Date and one Server per answer: router_proxy.server_headers adds them.
        "server_header": False,
        "date_header": False,
    }


class JsonErrorsHttp(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        # ``msg`` is the parser's ("Invalid HTTP request received."): the client learns
        # the shape of the error, not the parser's words.
        self.transport.write(bad_request_bytes(time.time()))
        self.transport.close()

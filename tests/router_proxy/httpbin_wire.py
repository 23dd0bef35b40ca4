"""The same request bytes to any server, and its answer as far as the app decides it:
what the httpbin transparency tests compare."""

from __future__ import annotations

from tests.router_proxy import rawhttp

WIRE_OWNED = {"date", "server", "connection", "keep-alive"}
ROUTER_ADDED = {"x-served-by", "x-request-id"}


def send(port: int, method: str, target: str, headers, body: bytes) -> rawhttp.RawResponse:
    """The same bytes to whichever server: one Host, one request id. No Connection header:
    the router drops it as hop-by-hop (A1), gunicorn would hand it to the app."""
    lines = [f"{method} {target} HTTP/1.1", "Host: httpbin.test", "X-Request-ID: req-1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body and not any(name.lower() == "transfer-encoding" for name, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
    return rawhttp.exchange(port, head + body, method)


def comparable(response: rawhttp.RawResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, the app's headers in order, body; the framing header (which each server
    writes where it likes) moved to the end, Allow sorted (see ``allow_sorted``)."""
    headers = [
        (n, allow_sorted(v) if n == "allow" else v)
        for n, v in response.headers
        if n not in WIRE_OWNED | ROUTER_ADDED | {"transfer-encoding"}
    ]
    framing = [(n, v) for n, v in response.headers if n == "transfer-encoding"]
    return response.status, headers + framing, response.body


def allow_sorted(value: str) -> str:
    # Flask builds Allow from a set: its order changes with each process's hash seed.
    return ", ".join(sorted(value.split(", ")))

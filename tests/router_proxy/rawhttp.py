"""A tiny HTTP/1.1 client over a raw socket (h11 parses the answer), so tests control the
exact request bytes: framing attacks, raw UTF-8 targets, duplicate headers."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import h11


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    chunks: list[bytes] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n == name.lower()]


def request(
    port: int,
    method: str,
    target: bytes | str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    timeout: float = 10.0,
) -> RawResponse:
    target_bytes = target.encode("utf-8") if isinstance(target, str) else target
    lines = [f"{method} ".encode() + target_bytes + b" HTTP/1.1", b"Host: 127.0.0.1:%d" % port]
    sent = headers or []
    lines += [f"{n}: {v}".encode("latin-1") for n, v in sent]
    if body and not any(n.lower() in ("content-length", "transfer-encoding") for n, _ in sent):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return exchange(port, b"\r\n".join(lines) + b"\r\n\r\n" + body, method, timeout)


def exchange(port: int, raw: bytes, method: str = "GET", timeout: float = 10.0) -> RawResponse:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        return read_response(sock, method)


def read_response(sock: socket.socket, method: str = "GET") -> RawResponse:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    response: RawResponse | None = None
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            headers = [(n.decode().lower(), v.decode("latin-1")) for n, v in event.headers]
            response = RawResponse(event.status_code, headers, b"")
        elif isinstance(event, h11.Data):
            assert response is not None
            response.chunks.append(bytes(event.data))
            response.body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            assert response is not None
            return response


def closed_after(sock: socket.socket, timeout: float = 2.0) -> bool:
    """True when the peer closed the connection (EOF) within the timeout."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (TimeoutError, ConnectionResetError):
        return False

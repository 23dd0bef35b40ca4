"""Request headers, cleaned once at the door: framing checks, limits, hop-by-hop and
underscore fields dropped, forwarding headers trusted only from configured proxies, and a
request id.

The result is a new scope for the backends; the client's scope is never mutated.

Example:
    >>> from router_proxy.config import Settings
    >>> scope = {"type": "http", "headers": [(b"x_api", b"1"), (b"te", b"trailers")],
    ...          "client": ("10.0.0.9", 5000)}
    >>> inbound = clean_request(scope, Settings())
    >>> [name for name, _ in inbound.scope["headers"]]
    [b'x-request-id']
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import uuid
from dataclasses import dataclass

from router_proxy.config import Settings
from router_proxy.errors import BadFraming, HeadersTooLarge
from router_proxy.types import HeaderList, Scope

# RFC 9110 §7.6.1, plus Transfer-Encoding: the shim re-frames every body it forwards.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
    }
)
FORWARDING = frozenset(
    {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded"}
)
REQUEST_ID = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


@dataclass(slots=True)
class Inbound:
    """What the door learned about one request."""

    scope: Scope  # the scope the backends see
    request_id: str
    client_host: str | None
    content_length: int | None
    chunked: bool
    cookie: bytes
    authorization: bytes
    minted_id: bool = False  # the router made the id (no client text in it)


# Names whose value the door needs; everything else is only checked and copied.
_NOTED = frozenset({b"content-length", b"transfer-encoding", b"x-forwarded-for"}) | {
    b"x-forwarded-proto",
    REQUEST_ID,
    b"cookie",
    b"authorization",
    b"connection",
}
# Never forwarded, whatever the Connection header names.
_ALWAYS_DROPPED = HOP_BY_HOP | FORWARDING | {REQUEST_ID}
# Per process: a random prefix and a counter make an id unique without a syscall per request.
_ID_PREFIX = uuid.uuid4().hex[:16]
_id_counter = itertools.count(1)


def clean_request(scope: Scope, settings: Settings) -> Inbound:
    raw = scope["headers"]
    if len(raw) > settings.max_header_fields:
        raise HeadersTooLarge(f"{len(raw)} header fields")
    kept: HeaderList = []
    noted: list[tuple[bytes, bytes]] = []
    size = 0
    for name, value in raw:
        size += len(name) + len(value) + 4
        name = name.lower()  # servers give lowercase already; the copy is what we forward
        if name in _NOTED:
            noted.append((name, value))
        if name in _ALWAYS_DROPPED or b"_" in name or name.startswith(b"x-strangler-"):
            # b"_": a2wsgi/CGI would merge x_a into HTTP_X_A, beside a real x-a
            continue
        kept.append((name, value))
    if size > settings.max_header_bytes:
        raise HeadersTooLarge(f"{size} header bytes")
    seen = _Noted(noted)
    if seen.connection_named:
        kept = [(name, value) for name, value in kept if name not in seen.connection_named]
    content_length, chunked = _framing(seen.lengths, seen.encodings)
    client = _client(scope, settings, seen.forwarded_for)
    minted = not _sane_request_id(seen.request_id)
    rid = _new_request_id() if minted else seen.request_id.decode()
    kept.append((REQUEST_ID, rid.encode()))
    inner = dict(scope)
    inner["headers"] = kept
    if client is not None:
        inner["client"] = client
    if seen.forwarded_proto in (b"http", b"https") and _trusted(scope, settings):
        inner["scheme"] = seen.forwarded_proto.decode()
    host = client[0] if client else None
    cookie = seen.cookie if b"cookie" not in seen.connection_named else b""
    authorization = seen.authorization if b"authorization" not in seen.connection_named else b""
    return Inbound(inner, rid, host, content_length, chunked, cookie, authorization, minted)


class _Noted:
    """The few header values the door reads, from the (short) list of noted fields."""

    __slots__ = (
        "authorization",
        "connection_named",
        "cookie",
        "encodings",
        "forwarded_for",
        "forwarded_proto",
        "lengths",
        "request_id",
    )

    def __init__(self, noted: list[tuple[bytes, bytes]]) -> None:
        self.lengths: list[bytes] = []
        self.encodings: list[bytes] = []
        self.forwarded_for: list[bytes] = []
        self.forwarded_proto = self.request_id = self.cookie = self.authorization = b""
        tokens: list[bytes] = []
        for name, value in noted:
            if name == b"content-length":
                self.lengths.append(value)
            elif name == b"transfer-encoding":
                self.encodings.append(value)
            elif name == b"x-forwarded-for":
                self.forwarded_for.append(value)
            elif name == b"x-forwarded-proto":
                self.forwarded_proto = value
            elif name == REQUEST_ID:
                self.request_id = value
            elif name == b"cookie":
                self.cookie = value if not self.cookie else self.cookie + b"; " + value
            elif name == b"authorization":
                self.authorization = value
            else:  # connection
                tokens += (token.strip().lower() for token in value.split(b","))
        self.connection_named = frozenset(tokens)


def _sane_request_id(value: bytes) -> bool:
    return bool(value) and _SANE_REQUEST_ID.fullmatch(value) is not None


def _new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


def _framing(lengths: list[bytes], encodings: list[bytes]) -> tuple[int | None, bool]:
    """RFC 9112 §6.3: ambiguous framing is how requests get smuggled; refuse it."""
    if lengths and encodings:
        raise BadFraming("both Content-Length and Transfer-Encoding")
    if len(lengths) > 1:
        raise BadFraming("duplicate Content-Length")
    if encodings:
        if len(encodings) > 1 or encodings[0].strip().lower() != b"chunked":
            raise BadFraming("Transfer-Encoding other than chunked")
        return None, True
    if lengths:
        if not lengths[0].isdigit():
            raise BadFraming("invalid Content-Length")
        return int(lengths[0]), False
    return None, False


def _trusted(scope: Scope, settings: Settings) -> bool:
    client = scope.get("client")
    if not client or not settings.trusted_proxies:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(address in network for network in settings.trusted_proxies)


def _client(scope: Scope, settings: Settings, forwarded_for: list[bytes]) -> tuple[str, int] | None:
    """The first address, from the right, that is not one of our trusted proxies."""
    client = scope.get("client")
    if not client or not forwarded_for or not _trusted(scope, settings):
        return tuple(client) if client else None
    hops = [h.strip() for v in forwarded_for for h in v.decode("latin-1").split(",")]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return (client[0], client[1])  # garbage in the chain: trust nothing past it
        if not any(address in network for network in settings.trusted_proxies):
            return (str(address), 0)
    return (hops[0], 0) if hops else (client[0], client[1])

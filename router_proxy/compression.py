"""Response compression at the entrypoint: brotli or gzip, whichever the client prefers,
for answers of at least ``minimum_size`` bytes. Off unless ``[compression] enabled = true``
in strangler.toml (or ``strangler serve --compress``), so the router stays byte-transparent
by default.

What it never touches (the rules of Starlette's GZipMiddleware): an answer a backend
already encoded (``Content-Encoding`` set), a 206, a ``text/event-stream`` or an
already-compressed media type, a request with no acceptable coding (no
``Accept-Encoding``: the backend's bytes, unchanged). A streamed answer stays streamed:
each chunk is flushed as it passes. It sits outside the router, so shadow comparison and
the parity ledger see the apps' own bytes.

Example:
    >>> choose_encoding("gzip, deflate, br")
    'br'
    >>> choose_encoding("br;q=0, gzip") , choose_encoding("") , choose_encoding("identity")
    ('gzip', None, None)
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol

import brotli

from router_proxy.errors import ConfigError
from router_proxy.types import ASGIApp, HeaderList, Message, Receive, Scope, Send

# Preference among codings the client weighs alike: brotli is denser at a similar cost.
PREFERENCE = ("br", "gzip")
# As Starlette's gzip: compressing a larger chunk inline would stall the event loop.
THREAD_MINIMUM_SIZE = 128 * 1024
# Media types that are compressed already, or must reach the client as they are sent.
NEVER_COMPRESSED = frozenset(
    {
        "application/grpc",
        "application/gzip",
        "application/x-gzip",
        "application/zip",
        "audio/*",
        "font/woff",
        "font/woff2",
        "image/avif",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/event-stream",
        "video/*",
    }
)


@dataclass(frozen=True, slots=True)
class CompressionSettings:
    enabled: bool = False
    # Below this a compressed answer saves less than its headers and the CPU cost.
    minimum_size: int = 1024
    gzip_level: int = 6
    brotli_quality: int = 4


def load_compression(raw: Mapping[str, Any]) -> CompressionSettings:
    """The ``[compression]`` table of strangler.toml."""
    table = raw.get("compression", {})
    if not isinstance(table, Mapping):
        raise ConfigError("[compression] must be a table")
    known = {f.name: f for f in fields(CompressionSettings)}
    unknown = set(table) - set(known)
    if unknown:
        raise ConfigError(f"[compression]: unknown keys {sorted(unknown)}")
    values = {name: _checked(name, value) for name, value in table.items()}
    return CompressionSettings(**values)


def _checked(name: str, value: Any) -> Any:
    limits = {"minimum_size": (0, 2**31), "gzip_level": (1, 9), "brotli_quality": (0, 11)}
    if name == "enabled":
        if not isinstance(value, bool):
            raise ConfigError(f"compression.enabled: true or false, not {value!r}")
        return value
    low, high = limits[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"compression.{name}: an integer from {low} to {high}, not {value!r}")
    return value


def compressed(app: ASGIApp, settings: CompressionSettings) -> ASGIApp:
    """``app`` behind compression, or ``app`` itself when compression is off."""
    return CompressionMiddleware(app, settings) if settings.enabled else app


def choose_encoding(accept_encoding: str) -> str | None:
    """Pure: the coding to answer in, from an Accept-Encoding value (RFC 9110 12.5.3)."""
    weights = _weights(accept_encoding)
    wildcard = weights.get("*", 0.0)
    ranked = [(weights.get(coding, wildcard), -PREFERENCE.index(coding)) for coding in PREFERENCE]
    best_weight, best = max(ranked)
    return PREFERENCE[-best] if best_weight > 0 else None


def _weights(accept_encoding: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding:
            weights[coding] = _quality(params)
    return weights


def _quality(params: str) -> float:
    name, _, value = params.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        return min(max(float(value), 0.0), 1.0)
    except ValueError:
        return 0.0


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, settings: CompressionSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = choose_encoding(_accept_encoding(scope))
        if encoding is None:
            await self.app(scope, receive, send)
            return
        responder = _Compressing(send, encoding, self.settings)
        await self.app(scope, receive, responder.send)


def _accept_encoding(scope: Scope) -> str:
    values = [value for name, value in scope["headers"] if name == b"accept-encoding"]
    return b",".join(values).decode("latin-1")


class Compressor(Protocol):
    def compress(self, data: bytes, final: bool) -> bytes: ...


class _Gzip:
    def __init__(self, level: int) -> None:
        self._stream = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def compress(self, data: bytes, final: bool) -> bytes:
        flush = zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
        return self._stream.compress(data) + self._stream.flush(flush)


class _Brotli:
    def __init__(self, quality: int) -> None:
        self._stream = brotli.Compressor(quality=quality)

    def compress(self, data: bytes, final: bool) -> bytes:
        chunk: bytes = self._stream.process(data)
        end: bytes = self._stream.finish() if final else self._stream.flush()
        return chunk + end


class _Compressing:
    """One answer on its way out: held at its start until the first body chunk says
    whether (and how) to compress it; then passed on, compressed or as it was."""

    def __init__(self, send: Send, encoding: str, settings: CompressionSettings) -> None:
        self._send = send
        self._encoding = encoding
        self._settings = settings
        self._start: Message | None = None
        self._compressor: Compressor | None = None
        self._passing = False  # decided: the answer goes out as the backend sent it

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._passing = _untouchable(message)
            if self._passing:
                await self._send(message)
            else:
                self._start = message
        elif kind != "http.response.body" or self._passing:
            await self._flush_start()
            await self._send(message)
        elif self._start is not None:
            await self._first_body(message)
        else:
            await self._send(await self._compressed(message))

    async def _first_body(self, message: Message) -> None:
        body, more = message.get("body", b""), message.get("more_body", False)
        start, self._start = self._start, None
        assert start is not None
        if len(body) < self._settings.minimum_size and not more:
            await self._send(start)
            await self._send(message)
            return
        self._compressor = self._new_compressor()
        compressed = await self._compressed(message)
        await self._send(_encoded_start(start, self._encoding, compressed, more))
        await self._send(compressed)

    async def _compressed(self, message: Message) -> Message:
        assert self._compressor is not None
        body, more = message.get("body", b""), message.get("more_body", False)
        compress = self._compressor.compress
        if len(body) >= THREAD_MINIMUM_SIZE:
            data = await asyncio.to_thread(compress, body, not more)
        else:
            data = compress(body, not more)
        return {**message, "body": data}

    async def _flush_start(self) -> None:
        if self._start is not None:
            start, self._start = self._start, None
            await self._send(start)

    def _new_compressor(self) -> Compressor:
        if self._encoding == "br":
            return _Brotli(self._settings.brotli_quality)
        return _Gzip(self._settings.gzip_level)


def _untouchable(start: Message) -> bool:
    headers = {name.lower(): value for name, value in start.get("headers", ())}
    if b"content-encoding" in headers or start["status"] == 206:
        return True
    media = headers.get(b"content-type", b"").decode("latin-1").partition(";")[0]
    media = media.strip().lower()
    kinds = {media, media.partition("/")[0] + "/*"}
    if media.startswith("application/grpc+"):
        kinds.add("application/grpc")
    return not kinds.isdisjoint(NEVER_COMPRESSED)


def _encoded_start(start: Message, encoding: str, first: Message, more: bool) -> Message:
    headers: HeaderList = [
        (name, value)
        for name, value in start.get("headers", ())
        if name.lower() not in (b"content-length", b"vary")
    ]
    vary = [value for name, value in start.get("headers", ()) if name.lower() == b"vary"]
    if not any(b"accept-encoding" in value.lower() for value in vary):
        vary.append(b"Accept-Encoding")
    headers.append((b"vary", b", ".join(vary)))
    headers.append((b"content-encoding", encoding.encode()))
    if not more and not start.get("trailers", False):
        headers.append((b"content-length", str(len(first["body"])).encode()))
    return {**start, "headers": headers}

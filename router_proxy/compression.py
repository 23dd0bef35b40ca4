"""Response compression at the entrypoint: brotli or gzip, whichever the client prefers,
for answers of at least ``minimum_size`` bytes. Off unless ``[compression] enabled = true``
in strangler.toml (or ``strangler serve --compress``), so the router stays byte-transparent
by default.

What it never touches (Starlette's responder decides, the same rules as its
GZipMiddleware): an answer a backend already encoded (``Content-Encoding`` set), a 206, a
``text/event-stream`` or an already-compressed media type, a request with no acceptable
coding (no ``Accept-Encoding``: the backend's bytes, unchanged). It sits outside the
router, so shadow comparison and the parity ledger see the apps' own bytes.

Example:
    >>> choose_encoding("gzip, deflate, br")
    'br'
    >>> choose_encoding("br;q=0, gzip") , choose_encoding("") , choose_encoding("identity")
    ('gzip', None, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import anyio.to_thread
import brotli
from starlette.middleware.gzip import GZipResponder, IdentityResponder

from router_proxy.errors import ConfigError
from router_proxy.types import ASGIApp, Receive, Scope, Send

# Preference among codings the client weighs alike: brotli is denser at a similar cost.
PREFERENCE = ("br", "gzip")
# As Starlette's gzip: compressing a larger chunk inline would stall the event loop.
THREAD_MINIMUM_SIZE = 128 * 1024


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
        await self._responder(encoding)(scope, receive, send)

    def _responder(self, encoding: str | None) -> ASGIApp:
        size = self.settings.minimum_size
        if encoding == "br":
            return BrotliResponder(self.app, size, self.settings.brotli_quality)
        if encoding == "gzip":
            return GZipResponder(self.app, size, compresslevel=self.settings.gzip_level)
        return self.app


def _accept_encoding(scope: Scope) -> str:
    values = [value for name, value in scope["headers"] if name == b"accept-encoding"]
    return b",".join(values).decode("latin-1")


class BrotliResponder(IdentityResponder):
    """Starlette's responder (which answers to skip and how headers change) with a brotli
    stream: each chunk of a streamed answer is flushed, so streaming stays streaming."""

    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int, quality: int) -> None:
        super().__init__(app, minimum_size)
        self.quality = quality
        self._compressor: brotli.Compressor | None = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= THREAD_MINIMUM_SIZE:
            return await anyio.to_thread.run_sync(self._compress, body, more_body)
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        if self._compressor is None:
            self._compressor = brotli.Compressor(quality=self.quality)
        chunk: bytes = self._compressor.process(body)
        end: bytes = self._compressor.flush() if more_body else self._compressor.finish()
        return chunk + end

"""One path, one decision (A22): the route a request is decided on is the route its
backend serves.

A path with dot segments (``/x/../hello``, ``/%2e%2e/hello`` once decoded) or empty
segments (``//api/v1/orders``) may be read as another path by whoever serves it:
werkzeug merges leading slashes, HTTP clients and proxies resolve dot segments. The
router looks such a path up twice, as sent and as a normalising backend would take it
(``canonical``); when the two select different routes, no backend gets it (400) and the
flag of neither is bypassed. When both select the same route, or none, the request goes
on unchanged, byte for byte (an object store's ``a//b`` key stays ``a//b``).

Example:
    >>> canonical("/x/../hello"), canonical("//api//v1/"), canonical("/a/./b/..")
    ('/hello', '/api/v1/', '/a/')
"""

from __future__ import annotations


def is_canonical(path: str) -> bool:
    """Cheap: most paths have neither ``//`` nor a segment starting with a dot."""
    return "//" not in path and "/." not in path


def canonical(path: str) -> str:
    """``path`` with dot segments removed (RFC 3986 5.2.4) and empty segments merged, but
    for a trailing slash, which routes tell apart."""
    parts = path.split("/")
    kept: list[str] = []
    last = len(parts) - 1
    for index, segment in enumerate(parts[1:], start=1):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment not in (".", ""):
            kept.append(segment)
            continue
        if index == last:
            kept.append("")  # "/a/.." and "/a/" end in a slash
    return "/" + "/".join(kept)

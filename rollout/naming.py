"""Flag names derived from route keys: URL-safe, readable, and reversible.

One flag per route key. The name is ``route.`` + the lower-case method + one dot-separated
part per path segment, so it is valid in Unleash (``[A-Za-z0-9._~-]``, at most 100
characters) and in a URL without escaping:

- a path parameter ``{order_id}`` becomes ``~order_id``; the one converter route keys
  carry, ``{name:path}`` (a parameter that spans segments), becomes ``~name~path`` (any
  other converter, such as ``{id:int}``, is dropped: route keys carry none);
- an empty segment (``/`` or a trailing slash) becomes a bare ``~``;
- letters, digits and ``_`` stay as they are, ``-`` is doubled, and any other byte of the
  UTF-8 segment becomes ``-`` + two lower-case hex digits (``.`` -> ``-2e``).

The mapping is injective, so ``route_key_for_flag`` turns a name back into its key (the
Unleash provider needs that: the SDK only knows names). It is the only place a route's flag
name is made: the route table, the flag stores, the Unleash writer, the dashboard and the
steps all call it, so the group id the router hashes callers with is the name Unleash
evaluates. The global kill switch is the flag ``strangler.kill_switch``.

Example:
    >>> route_flag_name("GET /api/v1/orders/{order_id}")
    'route.get.api.v1.orders.~order_id'
    >>> route_key_for_flag("route.get.api.v1.orders.~order_id")
    'GET /api/v1/orders/{order_id}'
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from rollout.errors import RouteKeyError

KILL_SWITCH_FLAG = "strangler.kill_switch"
ROUTE_FLAG_PREFIX = "route."
UNLEASH_NAME_LIMIT = 100

_KEPT = re.compile(r"[A-Za-z0-9_]")
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")
_SPANNING = "path"  # the converter of a parameter that spans segments
_ESCAPE = re.compile(r"--|-([0-9a-f]{2})")


def route_flag_name(route_key: str) -> str:
    method, path = _split_key(route_key)
    parts = [_segment_name(segment) for segment in path[1:].split("/")]
    return ROUTE_FLAG_PREFIX + ".".join([method.lower(), *parts])


def route_key_for_flag(flag_name: str) -> str:
    if not flag_name.startswith(ROUTE_FLAG_PREFIX):
        raise RouteKeyError(f"{flag_name!r} is not a route flag")
    method, *parts = flag_name[len(ROUTE_FLAG_PREFIX) :].split(".")
    if not method or not parts:
        raise RouteKeyError(f"{flag_name!r} is not a route flag")
    return f"{method.upper()} /" + "/".join(_segment_from_name(part) for part in parts)


def _split_key(route_key: str) -> tuple[str, str]:
    method, _, path = route_key.partition(" ")
    if not method.isalpha() or not path.startswith("/"):
        raise RouteKeyError(f"{route_key!r}: a route key is 'METHOD /path'")
    return method, path


def _segment_name(segment: str) -> str:
    if segment == "":
        return "~"
    parameter = _PARAMETER.fullmatch(segment)
    if parameter:
        spans = parameter.group(2) == _SPANNING
        return "~" + parameter.group(1) + ("~" + _SPANNING if spans else "")
    return "".join(_escaped(char) for char in segment)


def _escaped(char: str) -> str:
    if _KEPT.match(char):
        return char
    if char == "-":
        return "--"
    return "".join(f"-{byte:02x}" for byte in char.encode())


def _segment_from_name(part: str) -> str:
    if part == "~":
        return ""
    if part.startswith("~"):
        name, spans, _ = part[1:].partition("~")
        return "{" + name + (":" + _SPANNING if spans else "") + "}"
    raw = _ESCAPE.sub(lambda m: "-" if m.group(0) == "--" else f"%{m.group(1)}", part)
    return _percent_decoded(raw)


def _percent_decoded(text: str) -> str:
    return unquote_to_bytes(text).decode()

"""A route key as a person types it, checked against the live route table.

A flag set on a key the table does not have moves nothing: the router never looks it up.
So ``strangler flags`` takes the method in any case, and refuses a key the table lacks
with one line naming what the person most likely meant: the route that serves a concrete
path (``GET /hello/ada`` -> ``GET /hello/{name}``), the key written in Flask's syntax
(``<int:id>`` -> ``{id}``), the key with or without its trailing slash, or the nearest
keys by spelling.

Example:
    >>> normalised("get /api/v1/me")
    'GET /api/v1/me'
    >>> from_flask_syntax("/items/<int:item_id>/<path:rest>")
    '/items/{item_id}/{rest:path}'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from router_proxy.routes import RouteTable

_FLASK_PARAMETER = re.compile(r"<(?:([A-Za-z_][A-Za-z0-9_]*)(?:\([^)]*\))?:)?([A-Za-z_]\w*)>")


class UnknownRouteKey(ValueError):
    """The key is not in the route table; the message says what was likely meant."""


def normalised(key: str) -> str:
    """Method upper-cased, one space, the path as typed. Raises UnknownRouteKey when the
    key is not ``METHOD /path``."""
    method, _, path = key.strip().partition(" ")
    path = path.strip()
    if not method.isalpha() or not path.startswith("/"):
        raise UnknownRouteKey(f"{key!r}: a route key is 'METHOD /path', e.g. 'GET /api/v1/me'")
    return f"{method.upper()} {path}"


def from_flask_syntax(path: str) -> str:
    def template(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        return "{" + name + (":path" if converter == "path" else "") + "}"

    return _FLASK_PARAMETER.sub(template, path)


def checked(key: str, table: RouteTable) -> str:
    """The table's key for ``key``; raises UnknownRouteKey naming the likely ones."""
    wanted = normalised(key)
    keys = {info.key for info in table}
    if wanted in keys:
        return wanted
    likely = list(dict.fromkeys(_likely(wanted, table, keys)))
    hint = f"; did you mean {', '.join(repr(k) for k in likely)}?" if likely else ""
    raise UnknownRouteKey(
        f"no route {wanted!r} in the route table{hint}"
        " (--force sets a flag for a route not deployed yet)"
    )


def _likely(wanted: str, table: RouteTable, keys: set[str]) -> Iterable[str]:
    method, _, path = wanted.partition(" ")
    served = table.match(method, path)
    if served is not None:
        yield served.key
    flask = f"{method} {from_flask_syntax(path)}"
    if flask in keys:
        yield flask
    slashed = f"{method} {path[:-1]}" if path.endswith("/") else f"{method} {path}/"
    if slashed in keys:
        yield slashed
    yield from difflib.get_close_matches(wanted, sorted(keys), n=3, cutoff=0.6)

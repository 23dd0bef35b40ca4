"""The route table: every ``METHOD /template`` either app serves, and a fast matcher.

Keys come from the Flask ``url_map`` (``<int:order_id>`` becomes ``{order_id}``) and
the Starlette/FastAPI routes. A route both apps serve is one key even when the two name
its parameters differently: routes are merged by *shape* (the template with parameter
names blanked), and the key keeps the legacy app's spelling.

Each route's flag name is ``rollout.naming.route_flag_name(key)``: the name the flag
stores, the Unleash writer and the dashboard use, and the group id canary callers are
hashed with.

Matching is one dict lookup for static paths; dynamic paths are bucketed by their static
prefix (the segments before the first variable; a request tries its own prefixes, longest
first), and each bucket is one compiled alternation whose ``lastgroup`` names the route.

Example:
    >>> table = RouteTable([RouteSpec("GET", "/items/{item_id}", r"/items/(?:\\d+)", True, False)])
    >>> table.match("GET", "/items/7").flag_name
    'route.get.items.~item_id'
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rollout.naming import route_flag_name
from rollout.types import RouteInfo

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Methods the frameworks answer by themselves; they follow the route of GET or go legacy.
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
_FLASK_VARIABLE = re.compile(r"<(?:(?P<conv>[a-zA-Z_]\w*)(?:\((?P<args>.*?)\))?:)?(?P<var>\w+)>")
_STARLETTE_VARIABLE = re.compile(r"{(?P<var>\w+)(?::(?P<conv>\w+))?}")


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One method of one route as one app declares it."""

    method: str
    template: str  # "/orders/{order_id}" (a path converter: "{name:path}")
    regex: str  # the app's own pattern for the whole path, without anchors
    in_legacy: bool
    in_new: bool

    @property
    def shape(self) -> str:
        return _STARLETTE_VARIABLE.sub(
            lambda m: "{:path}" if m["conv"] == "path" else "{}", self.template
        )


class RouteTable:
    def __init__(self, specs: Iterable[RouteSpec]) -> None:
        self.routes: dict[str, RouteInfo] = {}
        self._static: dict[tuple[str, str], RouteInfo] = {}
        dynamic: dict[str, list[tuple[RouteSpec, RouteInfo]]] = defaultdict(list)
        for spec, info in _merge(specs):
            self.routes[info.key] = info
            if "{" not in spec.template:
                self._static[(spec.method, spec.template)] = info
            else:
                dynamic[_bucket_of(spec.template)].append((spec, info))
        self._buckets = {prefix: _Bucket(entries) for prefix, entries in dynamic.items()}

    def match(self, method: str, path: str) -> RouteInfo | None:
        found = self._match_exact(method, path)
        if found is None and method == "HEAD":
            found = self._match_exact("GET", path)
        return found

    def _match_exact(self, method: str, path: str) -> RouteInfo | None:
        found = self._static.get((method, path))
        if found is not None:
            return found
        # Longest static prefix first: "/api/v1/orders" before "/api/v1" before "/api".
        end = len(path)
        while end > 0:
            end = path.rfind("/", 0, end)
            bucket = self._buckets.get(path[:end])
            if bucket is not None:
                found = bucket.match(method, path)
                if found is not None:
                    return found
        return None

    def __iter__(self) -> Iterator[RouteInfo]:
        return iter(sorted(self.routes.values(), key=lambda r: (r.key.split(" ")[1], r.key)))

    def __len__(self) -> int:
        return len(self.routes)


class _Bucket:
    """Routes sharing a first segment: one regex per method, most specific route first."""

    def __init__(self, entries: list[tuple[RouteSpec, RouteInfo]]) -> None:
        by_method: dict[str, list[tuple[RouteSpec, RouteInfo]]] = defaultdict(list)
        for spec, info in entries:
            by_method[spec.method].append((spec, info))
        self._patterns: dict[str, tuple[re.Pattern[str], dict[str, RouteInfo]]] = {}
        for method, items in by_method.items():
            items.sort(key=lambda item: _specificity(item[0].template))
            groups = {f"r{i}": info for i, (_, info) in enumerate(items)}
            alternation = "|".join(f"(?P<r{i}>{spec.regex})" for i, (spec, _) in enumerate(items))
            self._patterns[method] = (re.compile(alternation), groups)

    def match(self, method: str, path: str) -> RouteInfo | None:
        entry = self._patterns.get(method)
        if entry is None:
            return None
        pattern, groups = entry
        found = pattern.fullmatch(path)
        return groups[found.lastgroup] if found and found.lastgroup else None


def _specificity(template: str) -> tuple[int, int, int]:
    segments = template.strip("/").split("/")
    variables = sum(1 for s in segments if "{" in s)
    greedy = template.count(":path}")
    # werkzeug's order, roughly: fewer greedy converters, more static segments, longer.
    return (greedy, variables - len(segments), -len(template))


def _bucket_of(template: str) -> str:
    """The static segments before the first variable: ``/api/v1/orders/{id}`` ->
    ``/api/v1/orders`` (``""`` for a template that starts with a variable)."""
    return template[: template.rfind("/", 0, template.index("{"))]


def _merge(specs: Iterable[RouteSpec]) -> Iterator[tuple[RouteSpec, RouteInfo]]:
    merged: dict[tuple[str, str], list[RouteSpec]] = defaultdict(list)
    for spec in specs:
        merged[(spec.method, spec.shape)].append(spec)
    for (method, _), same in merged.items():
        legacy = next((s for s in same if s.in_legacy), None)
        new = next((s for s in same if s.in_new), None)
        # Legacy's pattern decides: a path legacy would reject stays unknown, so legacy 404s.
        chosen = legacy or new
        assert chosen is not None
        key = f"{method} {chosen.template}"
        info = RouteInfo(
            key=key,
            in_legacy=legacy is not None,
            in_new=new is not None,
            is_write=method in WRITE_METHODS,
            flag_name=route_flag_name(key),
        )
        yield chosen, info


def flask_specs(app: Any) -> list[RouteSpec]:
    """Every (method, rule) of a Flask app, with the converters' own regexes.

    A WSGI app without a ``url_map`` (even under middleware we cannot see through) yields
    no routes: every request is then unknown, and unknown requests go to legacy."""
    return [
        RouteSpec(method, template, regex, True, False)
        for method, template, regex, _rule in flask_rules(app)
    ]


def flask_rules(app: Any) -> Iterator[tuple[str, str, str, Any]]:
    """(method, template, regex, werkzeug Rule) for every routed method of a Flask app."""
    url_map = getattr(_layer_with(app, "url_map", depth=3), "url_map", None)
    if url_map is None:
        return
    for rule in url_map.iter_rules():
        if getattr(rule, "websocket", False):  # matches WebSocket upgrades only
            continue
        template, regex = _flask_template(rule)
        for method in sorted(rule.methods or ()):
            if method not in IMPLICIT_METHODS or not _implicit(rule, method):
                yield method, template, regex, rule


def flask_websocket_specs(app: Any) -> list[RouteSpec]:
    """The WebSocket rules of a Flask app (``Rule(websocket=True)``, as flask-sock adds
    them), keyed as the GET of their path."""
    url_map = getattr(_layer_with(app, "url_map", depth=3), "url_map", None)
    if url_map is None:
        return []
    specs = []
    for rule in url_map.iter_rules():
        if getattr(rule, "websocket", False):
            template, regex = _flask_template(rule)
            specs.append(RouteSpec("GET", template, regex, True, False))
    return specs


def has_url_map(app: Any) -> bool:
    """Whether ``app`` (or a layer under its middleware) is a Flask app with a url_map."""
    return _layer_with(app, "url_map", depth=3) is not None


def flask_view(app: Any, endpoint: str) -> Any:
    """The view function behind ``endpoint`` of a Flask app (under its wrappers), or None."""
    views = getattr(_layer_with(app, "view_functions", depth=3), "view_functions", {})
    return views.get(endpoint)


def flask_session_signing(app: Any) -> tuple[str | bytes, str] | None:
    """(SECRET_KEY, session cookie name) of a Flask app (under its wrappers), None if it
    has no secret: what a Flask session cookie of that app is signed with."""
    config = getattr(_layer_with(app, "config", depth=3), "config", None)
    if not isinstance(config, Mapping) or not config.get("SECRET_KEY"):
        return None
    secret = config["SECRET_KEY"]
    name = str(config.get("SESSION_COOKIE_NAME") or "session")
    return (secret if isinstance(secret, bytes) else str(secret)), name


def _layer_with(app: Any, attribute: str, depth: int) -> Any:
    """The first layer of ``app`` with ``attribute``, following the common middleware
    wrappers (``.app``, ``.application``) at most ``depth`` layers down; None if none."""
    for _ in range(depth):
        if app is None or hasattr(app, attribute):
            return app
        app = getattr(app, "app", None) or getattr(app, "application", None)
    return None


def _implicit(rule: Any, method: str) -> bool:
    # Flask adds HEAD to GET rules and OPTIONS to all unless the view declares them itself.
    return method == "HEAD" or getattr(rule, "provide_automatic_options", True)


def _flask_template(rule: Any) -> tuple[str, str]:
    converters = getattr(rule, "_converters", {})
    template_parts: list[str] = []
    regex_parts: list[str] = []
    position = 0
    for found in _FLASK_VARIABLE.finditer(rule.rule):
        static = rule.rule[position : found.start()]
        template_parts.append(static)
        regex_parts.append(re.escape(static))
        name = found["var"]
        conv = found["conv"] or "default"
        template_parts.append(f"{{{name}:path}}" if conv == "path" else f"{{{name}}}")
        converter = converters.get(name)
        pattern = _without_names(converter.regex) if converter is not None else "[^/]+"
        regex_parts.append(f"(?:{pattern})")
        position = found.end()
    template_parts.append(rule.rule[position:])
    regex_parts.append(re.escape(rule.rule[position:]))
    return "".join(template_parts), "".join(regex_parts)


def starlette_specs(app: Any) -> list[RouteSpec]:
    """Every (method, path) of a Starlette/FastAPI app, mounts included, but for the docs
    FastAPI generates (``/docs``, ``/redoc``, ``/openapi.json``): those would shadow paths
    the legacy app serves, so the router offers them under ``/_strangler/new/`` instead
    (``router_proxy.new_docs``). A docs path the app declares as its own route stays.

    Under middleware (the layer below ``StranglerMiddleware``), the routes are found by
    following ``.app`` down to the router."""
    generated = set(generated_docs_paths(app).values())
    routes = [
        route
        for route in getattr(_layer_with(app, "routes", depth=16), "routes", [])
        if not (getattr(route, "path", None) in generated and _is_plain_route(route))
    ]
    return list(_starlette_routes(routes, ""))


def generated_docs_paths(app: Any) -> dict[str, str]:
    """FastAPI's own documentation paths that the app has on: name -> path."""
    names = ("openapi_url", "docs_url", "redoc_url", "swagger_ui_oauth2_redirect_url")
    if not callable(getattr(app, "openapi", None)):
        return {}
    paths = {name: getattr(app, name, None) for name in names}
    if paths["docs_url"] is None:  # the redirect page exists only beside Swagger UI
        paths["swagger_ui_oauth2_redirect_url"] = None
    return {name: path for name, path in paths.items() if isinstance(path, str) and path}


def starlette_websocket_specs(app: Any) -> list[RouteSpec]:
    """The WebSocket routes of a Starlette/FastAPI app, keyed as the GET of their path."""
    routes = getattr(_layer_with(app, "routes", depth=16), "routes", [])
    return list(_websocket_routes(routes, ""))


def _websocket_routes(routes: Iterable[Any], prefix: str) -> Iterator[RouteSpec]:
    for route in routes:
        path = prefix + getattr(route, "path", "")
        if "WebSocket" in type(route).__name__ and hasattr(route, "path_regex"):
            regex = _starlette_regex(route, prefix)
            yield RouteSpec("GET", _starlette_template(path), regex, False, True)
        elif hasattr(route, "routes") and getattr(route, "methods", None) is None:
            yield from _websocket_routes(route.routes, path)
        elif hasattr(route, "original_router"):
            included = prefix + route.include_context.prefix
            yield from _websocket_routes(route.original_router.routes, included)


def _is_plain_route(route: Any) -> bool:
    # FastAPI adds its docs as plain Starlette routes; the app's own endpoints are APIRoutes.
    return type(route).__name__ == "Route"


def _starlette_routes(routes: Iterable[Any], prefix: str) -> Iterator[RouteSpec]:
    for route in routes:
        path = prefix + getattr(route, "path", "")
        methods = getattr(route, "methods", None)
        if methods is not None:
            regex = _starlette_regex(route, prefix)
            for method in sorted(methods):
                if method != "HEAD" or "GET" not in methods:
                    yield RouteSpec(method, _starlette_template(path), regex, False, True)
        elif hasattr(route, "routes"):  # Mount, Host, Router
            yield from _starlette_routes(route.routes, path)
        elif hasattr(route, "original_router"):  # FastAPI >= 0.165: include_router, lazily
            included = prefix + route.include_context.prefix
            yield from _starlette_routes(route.original_router.routes, included)


def _starlette_template(path: str) -> str:
    return _STARLETTE_VARIABLE.sub(
        lambda m: f"{{{m['var']}:path}}" if m["conv"] == "path" else f"{{{m['var']}}}", path
    )


def _starlette_regex(route: Any, prefix: str) -> str:
    own = route.path_regex.pattern.removeprefix("^").removesuffix("$")
    return re.escape(prefix) + _without_names(own)


def _without_names(pattern: str) -> str:
    # Named groups would clash inside a bucket's alternation; a route only needs to match.
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


def declared_specs(keys: Iterable[str]) -> list[RouteSpec]:
    """Legacy routes named in strangler.toml (``[apps] legacy_routes``), for an app without
    a url_map: ``GET /objects/{key:path}`` (a ``:path`` parameter spans segments).

    >>> [spec.regex for spec in declared_specs(["GET /o/{bucket}/{key:path}"])]
    ['/o/(?:[^/]+)/(?:.+)']
    """
    specs = []
    for key in keys:
        method, _, template = key.partition(" ")
        position, regex = 0, []
        for found in _STARLETTE_VARIABLE.finditer(template):
            regex.append(re.escape(template[position : found.start()]))
            regex.append("(?:.+)" if found["conv"] == "path" else "(?:[^/]+)")
            position = found.end()
        regex.append(re.escape(template[position:]))
        specs.append(RouteSpec(method, _starlette_template(template), "".join(regex), True, False))
    return specs


def build_route_table(legacy_app: Any, new_app: Any, declared: Iterable[str] = ()) -> RouteTable:
    """``declared``: route keys strangler.toml gives for legacy, beside its url_map's."""
    specs = [*flask_specs(legacy_app), *declared_specs(declared), *starlette_specs(new_app)]
    return RouteTable(specs)

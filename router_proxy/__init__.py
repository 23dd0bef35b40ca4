"""The ASGI shim: one entrypoint in front of the legacy Flask app and the new FastAPI app
that decides, per request, who answers and who is compared.

Use it when both apps must serve one public address while routes move one by one:
``build_app(settings)`` gives the ASGI app that ``strangler serve`` runs under uvicorn; the
apps are named by import string (``theirapp.wsgi:app``), never imported by this package.

Where a request goes, in order (one module each):

* ``headers``: framing, limits, hop-by-hop and underscore headers (A1-A5), cleaned once;
* ``routes``: ``METHOD /path`` to a route key, from Flask's url_map and the FastAPI routes;
* ``identity``, ``context``: the caller as the flags see it, from what ``[identity]`` names
  (sticky canaries; the router knows no table or session key of any app);
* ``dispatch``: asks ``rollout.decide`` (the one place a route mode becomes a decision)
  and serves the primary through ``backends/`` (``inprocess``: a2wsgi-style threads and
  ASGI; ``remote``: pooled HTTP to gunicorn and uvicorn);
* ``shadow``, ``shadow_process``, ``shadow_worker``: the copy to the other side after the
  client has its answer, compared with ``rollout.evidence.compare``, off the client's path;
* ``stats``, ``metrics``, ``logs``, ``endpoints``: what the router saw, under ``/_strangler/``.

Example:
    >>> from router_proxy import Settings
    >>> Settings().mode
    'inprocess'
"""

from __future__ import annotations

from router_proxy.app import RouterApp
from router_proxy.asgi import build_app
from router_proxy.config import Settings, load_settings
from router_proxy.errors import ConfigError, RouterError
from router_proxy.middleware import StranglerMiddleware
from router_proxy.routes import RouteTable
from router_proxy.served import Served

__all__ = [
    "ConfigError",
    "RouteTable",
    "RouterApp",
    "RouterError",
    "Served",
    "Settings",
    "StranglerMiddleware",
    "build_app",
    "load_settings",
]

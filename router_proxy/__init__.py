"""The ASGI shim: one entrypoint that routes each request to the legacy or the new app.

Example:
    >>> from router_proxy import Settings
    >>> Settings().mode
    'inprocess'
"""

from __future__ import annotations

from router_proxy.asgi import build_app
from router_proxy.config import Settings, load_settings
from router_proxy.dispatch import RouterApp, Served
from router_proxy.errors import ConfigError, RouterError
from router_proxy.routes import RouteTable

__all__ = [
    "ConfigError",
    "RouteTable",
    "RouterApp",
    "RouterError",
    "Served",
    "Settings",
    "build_app",
    "load_settings",
]

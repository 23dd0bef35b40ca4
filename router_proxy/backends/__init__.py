"""Backends: where a routed request is served (in-process or over HTTP).

Every backend offers the same small surface (see :class:`router_proxy.backends.base.Backend`),
so the dispatcher neither knows nor cares which kind it talks to.
"""

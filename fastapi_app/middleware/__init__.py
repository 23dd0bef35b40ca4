"""ASGI middleware of the port: Flask's method semantics and the last-resort 500."""

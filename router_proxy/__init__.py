"""The ASGI shim: one entrypoint that routes each request to the legacy or the new app."""

"""Recorded traffic: sampled, redacted exchanges per route (``recordings``) and the JSON
Schemas inferred from their bodies (``shapes``), for the merged OpenAPI and
``strangler port``.
"""

"""What every router process saw, shared across processes: the per-route traffic windows
the guard and the dashboard read (``windows``: ``route_windows``) and the fleet-wide
counters of ``/_strangler/status`` (``fleet``: PostgreSQL or Redis).

Imports only the core (``rollout.pg``, ``rollout.errors``).
"""

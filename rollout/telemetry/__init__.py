"""What every router process saw, shared across processes: the per-route traffic windows
(``windows``: ``route_windows``), the one store the guard, the dashboard and the fleet
totals of ``/_strangler/status`` read (``counts``: their shape).

Imports only the core (``rollout.pg``, ``rollout.errors``).
"""

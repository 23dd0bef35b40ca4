"""Who serves which route, and when: per-route flags, the pure decision, the rollout plan,
the guard, what the routers saw, parity evidence, recorded traffic and the dashboard.

Use it to read or change a route's mode (``legacy``, ``shadow``, ``canary`` N%, ``new``)
and the kill switch, from the CLI, the dashboard or the guard. The router
(``router_proxy``) asks it, never the other way round; only ``dashboard`` speaks HTTP.

Split by concern, imports pointing one way (``make test`` checks it):

* the core: ``types`` (``Mode``, ``RouteFlag``, ``Snapshot``, ``Decision``); ``decide``
  (``decide(route, ctx, snapshot) -> Decision``, every route mode in one pure function);
  ``bucketing`` (Unleash's sticky hash, bit for bit); ``naming`` (the one place a route's
  flag name is made); ``plan``; ``pg`` (the PostgreSQL connection helper); ``errors``;
* ``flags/``: where flags come from (embedded PostgreSQL with LISTEN/NOTIFY, Unleash,
  static) and the audited writers; a lookup never raises and never blocks;
* ``telemetry/``: the traffic windows every router process writes (the guard's numbers and
  the fleet-wide counters); ``evidence/``: the comparator and the parity ledger;
  ``traffic/``: recorded exchanges and their shapes;
* ``guard/``: rollout steps, judged on the windows, acted on through the flags;
* ``dashboard/``: the Starlette app under ``/_strangler/``, above all of them.

Example:
    >>> from rollout.decide import decide
    >>> from rollout.types import CallerContext, Mode, RouteFlag, RouteInfo, Snapshot
    >>> route = RouteInfo("GET /api/v1/me", True, True, False, "route.get.api.v1.me")
    >>> flags = Snapshot(routes={route.key: RouteFlag(mode=Mode.SHADOW, shadow_sample=100)})
    >>> decision = decide(route, CallerContext(), flags)
    >>> (decision.primary.value, decision.shadow.value)
    ('legacy', 'new')
"""

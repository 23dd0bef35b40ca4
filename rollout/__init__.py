"""Who serves which route, and when: per-route flags, the pure decision, the rollout plan,
the guard and the dashboard.

Use it to read or change a route's mode (``legacy``, ``shadow``, ``canary`` N%, ``new``)
and the kill switch, from the CLI, the dashboard or the guard. It knows nothing of HTTP
serving: the router (``router_proxy``) asks it, never the other way round.

Where each part lives:

* ``types``: the vocabulary (``Mode``, ``RouteFlag``, ``Snapshot``, ``Decision``);
* ``decide``: ``decide(route, ctx, snapshot) -> Decision``, the whole behaviour of every
  route mode in one pure function; ``bucketing`` is Unleash's sticky hash, bit for bit;
* ``providers/``: where flags come from (embedded PostgreSQL with LISTEN/NOTIFY, Unleash,
  static); a lookup never raises and never blocks;
* ``compare`` and ``ledger``: how two answers are compared and where mismatches are kept;
* ``steps``, ``guard``, ``guard_runner``, ``windows``, ``control``: rollout steps, judged
  on the traffic windows of every router process;
* ``dashboard/``: the Starlette app under ``/_strangler/``.

Example:
    >>> from rollout.decide import decide
    >>> from rollout.types import CallerContext, Mode, RouteFlag, RouteInfo, Snapshot
    >>> route = RouteInfo("GET /api/v1/me", True, True, False, "route.get.api.v1.me")
    >>> flags = Snapshot(routes={route.key: RouteFlag(mode=Mode.SHADOW, shadow_sample=100)})
    >>> decision = decide(route, CallerContext(), flags)
    >>> (decision.primary.value, decision.shadow.value)
    ('legacy', 'new')
"""

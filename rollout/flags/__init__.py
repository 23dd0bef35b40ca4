"""Flags: where a route's mode comes from and how it is changed.

Providers compile their state into a ``Snapshot`` the router reads without locks
(``base``: the protocol; ``static``: strangler.toml; ``embedded``: PostgreSQL with
LISTEN/NOTIFY, ``pg_flags`` its tables; ``unleash``: the UnleashClient SDK, with
``unleash_compile`` and ``unleash_admin`` for the admin API; ``bootstrap``: the file that
serves while a provider is down; ``factory`` and ``settings``: ``[flags]`` to a provider
and a writer). Every change is audited (``audit``, ``audited``). A lookup never raises
and never blocks.

Imports only the core (``rollout.types``, ``naming``, ``plan``, ``errors``).
"""

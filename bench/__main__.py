"""``python -m bench NAME``: run benchmarks, update bench/RESULTS.md. NAME: router,
router-steps, port, decide, shadow, shadow-cpu, compression, recorder, http2, capacity,
server-errors, faults (never part of all: it restarts PostgreSQL and Redis) or all.

``all`` runs them one after the other at one commit, the router's first."""

from __future__ import annotations

import importlib
import sys

# (NAME, module, the other NAMEs that run it too), in the order ``all`` runs them.
BENCHES = (
    ("router", "router", ()),
    ("router-steps", "router_steps", ("router",)),
    ("decide", "decide", ()),
    ("parity", "parity", ()),
    ("port", "port_vs_legacy", ()),
    ("compression", "compression", ()),
    ("recorder", "recorder", ()),
    ("http2", "http2", ()),
    ("server-errors", "server_errors", ()),
    ("capacity", "capacity", ()),
    ("shadow", "shadow", ()),
    ("shadow-cpu", "shadow_cpu", ("shadow",)),
    ("faults", "faults", None),  # None: only when named
)


def selected(which: str) -> list[str]:
    """The modules ``which`` runs, in order.

    >>> selected("shadow")
    ['shadow', 'shadow_cpu']
    """
    chosen = []
    for name, module, also in BENCHES:
        if which == name or (also is not None and (which == "all" or which in also)):
            chosen.append(module)
    return chosen


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "all"
    modules = selected(which)
    if not modules:
        raise SystemExit(f"unknown benchmark {which!r}: {', '.join(n for n, _, _ in BENCHES)}")
    for module in modules:
        print(importlib.import_module(f"bench.{module}").main(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

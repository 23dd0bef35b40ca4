"""``python -m bench NAME``: run benchmarks, update bench/RESULTS.md. NAME: router, port,
decide, shadow, shadow-cpu, compression, recorder, http2, capacity, server-errors, faults or all."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "all"
    if which in ("port", "all"):
        from bench import port_vs_legacy

        print(port_vs_legacy.main())
    if which in ("parity", "all"):
        from bench import parity

        print(parity.main())
    if which in ("router", "all"):
        from bench import router

        print(router.main())
    if which in ("compression", "all"):
        from bench import compression

        print(compression.main())
    if which in ("recorder", "all"):
        from bench import recorder

        print(recorder.main())
    if which in ("http2", "all"):
        from bench import http2

        print(http2.main())
    if which in ("capacity", "all"):
        from bench import capacity

        print(capacity.main())
    if which == "faults":  # not in "all": it restarts PostgreSQL and Redis
        from bench import faults

        print(faults.main())
    if which in ("server-errors", "all"):
        from bench import server_errors

        print(server_errors.main())
    if which in ("decide", "all"):
        from bench import decide

        print(decide.main())
    if which in ("shadow", "all"):
        from bench import shadow

        print(shadow.main())
    if which in ("shadow", "shadow-cpu", "all"):
        from bench import shadow_cpu

        print(shadow_cpu.main())


if __name__ == "__main__":
    main(sys.argv[1:])

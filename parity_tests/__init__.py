"""The parity harness: proves the port answers like legacy (reads, then writes in savepoints)."""

"""The router's own tables (flags, parity ledger, windows, guard, recorded traffic): Alembic
migrations versioned apart from any app's (``strangler_alembic_version``)."""

"""Flag providers: where a Snapshot comes from (strangler.toml, PostgreSQL, Unleash)."""

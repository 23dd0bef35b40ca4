"""The one schema both apps share: Alembic migrations and deterministic seed data."""

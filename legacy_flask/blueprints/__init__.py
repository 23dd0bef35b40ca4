"""The legacy app's blueprints: accounts, payments, transfers, session (login) and ops."""

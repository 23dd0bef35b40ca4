"""The ``strangler`` command and what it composes: it sits above every other package.

Use it as a program (``strangler serve``, ``flags``, ``routes``, ``status``, ``rollout``,
``parity``, ``up``, ``db``, ``demo``); ``cli/`` holds one module per command group, each
importing the layers below lazily. ``db/`` is the one schema (Alembic) that both apps
read, with deterministic seed data; ``deploy/`` is the side-by-side deployment (legacy
under gunicorn, new under uvicorn, the router in front); ``devenv`` finds or starts the
PostgreSQL the commands need.

Example:
    >>> from strangler.cli import main
    >>> callable(main)
    True
"""

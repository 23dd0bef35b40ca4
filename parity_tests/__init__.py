"""The parity harness: proves the port answers like legacy before a route moves, reads
first, then writes run inside savepoints and rolled back.

Use it from pytest (``pytest --parity``, the ``pytest11`` plugin in
``strangler.parity_plugin``), from the CLI (``strangler parity run``) or from code
(``runner``). A case is a JSON file in the project's cases folder (``cases``), beside its
``_world.json`` (``world``); ``harness`` runs it on legacy twice (to learn noise) and on the
port, ``isolation`` wraps each side in its own outer transaction with a savepoint and
captures row changes (``capture``), and the comparison is ``rollout.evidence.compare``'s, the same
the online shadow uses. ``export`` turns a production mismatch from the ledger into a case.

Example:
    >>> from parity_tests.cases import ParityCase
    >>> ParityCase.__name__
    'ParityCase'
"""

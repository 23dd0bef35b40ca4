"""The parity harness's exceptions; third-party errors are translated at the boundary.

::

    ParityError
    ├── CaseFileError      a case or world file is malformed (names the file and field)
    ├── IsolationError     an outer transaction, savepoint or change capture failed
    │   └── Retryable      SQLSTATE 40001/40P01: the whole case is run again
    └── TargetError        an app could not be started or did not answer

Example:
    >>> issubclass(Retryable, ParityError)
    True
"""

from __future__ import annotations


class ParityError(Exception):
    """Base of every error the parity harness raises."""


class CaseFileError(ParityError):
    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class IsolationError(ParityError):
    """The harness could not keep a side inside its outer transaction."""


class Retryable(IsolationError):
    """A serialization failure or deadlock: nothing was kept, the case may run again."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"transaction conflict (SQLSTATE {sqlstate})")
        self.sqlstate = sqlstate


class TargetError(ParityError):
    """An app under comparison failed outside of its HTTP answer."""

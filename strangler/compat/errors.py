"""The one error of ``strangler.compat``: the legacy app lacks what a piece needs.

Example:
    >>> str(CompatError("the legacy app has no SECRET_KEY"))
    'the legacy app has no SECRET_KEY'
"""

from __future__ import annotations


class CompatError(Exception):
    """Raised when a compat piece is built, never per request."""

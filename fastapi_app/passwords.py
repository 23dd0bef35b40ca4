"""Check werkzeug ``generate_password_hash`` strings without importing werkzeug.

Formats: ``pbkdf2:<digest>[:<iterations>]$<salt>$<hex>`` and
``scrypt[:n:r:p]$<salt>$<hex>``. Hashing is CPU work: call it off the event loop.

Example:
    >>> check_password("pbkdf2:sha256:1$salt$" + hashlib.pbkdf2_hmac(
    ...     "sha256", b"pw", b"salt", 1).hex(), "pw")
    True
"""

from __future__ import annotations

import hashlib
import hmac

PBKDF2_DEFAULT_ITERATIONS = 600000
SCRYPT_DEFAULTS = (2**15, 8, 1)


def _derive(method: str, salt: str, password: str) -> str | None:
    name, *args = method.split(":")
    if name == "pbkdf2" and args:
        iterations = int(args[1]) if len(args) > 1 else PBKDF2_DEFAULT_ITERATIONS
        return hashlib.pbkdf2_hmac(args[0], password.encode(), salt.encode(), iterations).hex()
    if name == "scrypt":
        n, r, p = (int(arg) for arg in args) if args else SCRYPT_DEFAULTS
        return hashlib.scrypt(
            password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
        ).hex()
    return None


def check_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the werkzeug hash string ``stored``."""
    if stored.count("$") < 2:
        return False
    method, salt, expected = stored.split("$", 2)
    try:
        derived = _derive(method, salt, password)
    except (ValueError, TypeError):
        return False
    return derived is not None and hmac.compare_digest(derived, expected)

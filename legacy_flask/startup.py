"""Process entry points fail fast on bad configuration: one line on stderr, exit 2.

Example:
    >>> from legacy_flask.errors import ConfigError
    >>> config_error_line(ConfigError("SECRET_KEY", "is required"))
    'legacy_flask: SECRET_KEY: is required'
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

from legacy_flask.errors import ConfigError

EXIT_CONFIG = 2
# gunicorn respawns a worker that exits 2 forever; 4 (its APP_LOAD_ERROR) halts the master.
EXIT_GUNICORN_APP_LOAD = 4

T = TypeVar("T")


def config_error_line(error: ConfigError) -> str:
    return f"legacy_flask: {error}"


def exit_on_config_error(build: Callable[[], T], exit_code: int = EXIT_CONFIG) -> T:
    try:
        return build()
    except ConfigError as error:
        fail(error, exit_code)


def fail(error: ConfigError, exit_code: int = EXIT_CONFIG) -> NoReturn:
    sys.stderr.write(config_error_line(error) + "\n")
    sys.stderr.flush()
    raise SystemExit(exit_code)


def app_import_exit_code() -> int:
    """2, or gunicorn's APP_LOAD_ERROR when gunicorn itself imports the app (no config)."""
    return EXIT_GUNICORN_APP_LOAD if "gunicorn.arbiter" in sys.modules else EXIT_CONFIG

"""Settings of the port, read from the environment (or a mapping) by pydantic-settings.

Bad configuration is a ``ConfigError`` naming the variable; ``load_settings_or_exit``
prints it as one line on stderr and exits 2, which is what the process entry points use.

Example:
    >>> settings = load_settings(
    ...     {"DATABASE_URL": "postgresql://db/app", "SECRET_KEY": "0123456789abcdef"}
    ... )
    >>> settings.db_pool_max_size
    10
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fastapi_app.errors import ConfigError

MAX_CONTENT_LENGTH = 1024 * 1024
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
MIN_SECRET_KEY_LENGTH = 16
CONFIG_EXIT_CODE = 2


class Settings(BaseSettings):
    """What the port needs from its environment. REDIS_URL unset means no cache."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    database_url: str
    secret_key: str
    redis_url: str | None = None
    db_pool_min_size: int = Field(default=2, ge=0, le=1000)
    db_pool_max_size: int = Field(default=10, ge=1, le=1000)
    tx_max_attempts: int = Field(default=5, ge=1, le=100)
    cache_ttl_seconds: int = Field(default=60, ge=1, le=86400)
    # How long a revoked API key may still work in a worker (0: revocation is immediate).
    api_key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # Workers sharing a database must share this; tests that reset ids use their own.
    cache_namespace: str | None = None

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str) -> str:
        if not value.startswith(POSTGRES_PREFIXES):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_KEY_LENGTH} characters")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value or None

    @property
    def effective_cache_namespace(self) -> str:
        if self.cache_namespace:
            return self.cache_namespace
        return hashlib.sha256(self.database_url.encode()).hexdigest()[:16]

    @model_validator(mode="after")
    def _pool_bounds(self) -> Settings:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("db_pool_min_size: must not exceed DB_POOL_MAX_SIZE")
        return self


SETTING_NAMES = tuple(name.upper() for name in Settings.model_fields)


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read the environment, letting ``overrides`` (upper-case names) win; raise ConfigError."""
    given = {
        name.lower(): value for name, value in (overrides or {}).items() if name in SETTING_NAMES
    }
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise _config_error(exc) from None


def load_settings_or_exit(overrides: Mapping[str, Any] | None = None) -> Settings:
    try:
        return load_settings(overrides)
    except ConfigError as exc:
        print(f"fastapi_app: bad configuration: {exc}", file=sys.stderr)
        raise SystemExit(CONFIG_EXIT_CODE) from None


def _config_error(exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["loc"]:
        variable = str(first["loc"][0]).upper()
    else:
        variable, _, message = message.partition(": ")
        variable = variable.upper()
    if first["type"] == "missing":
        return ConfigError(variable, "is required")
    return ConfigError(variable, message)

"""Settings of the legacy app, read from the environment (or a mapping) by pydantic-settings.

Bad configuration is a ``ConfigError`` naming the variable, so the process entry points
(``wsgi.py``, ``gunicorn_conf.py``) can print one clear line and exit 2.

Example:
    >>> settings = load_settings(
    ...     {"DATABASE_URL": "postgresql://db/app", "SECRET_KEY": "0123456789abcdef"}
    ... )
    >>> settings.sqlalchemy_url
    'postgresql+psycopg2://db/app'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from legacy_flask.errors import ConfigError

MAX_CONTENT_LENGTH = 1024 * 1024
POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg2://")
SETTING_NAMES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
MIN_SECRET_KEY_LENGTH = 16


class Settings(BaseSettings):
    """What the legacy app needs from its environment; REDIS_URL is accepted but unused."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    database_url: str
    secret_key: str
    redis_url: str | None = None

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
    def sqlalchemy_url(self) -> str:
        """The psycopg2 flavour of DATABASE_URL, which SQLAlchemy needs to pick its driver."""
        for prefix in POSTGRES_PREFIXES:
            if self.database_url.startswith(prefix):
                return "postgresql+psycopg2://" + self.database_url[len(prefix) :]
        return self.database_url

    def flask_config(self) -> dict[str, Any]:
        return {
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
            "SESSION_COOKIE_HTTPONLY": True,
            "JSON_SORT_KEYS": True,
        }


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read the environment, letting ``overrides`` (upper-case names) win; raise ConfigError."""
    given = {
        name.lower(): value for name, value in (overrides or {}).items() if name in SETTING_NAMES
    }
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise _config_error(exc) from None


def _config_error(exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else "configuration"
    if first["type"] == "missing":
        return ConfigError(variable, "is required")
    message = str(first["msg"]).removeprefix("Value error, ")
    return ConfigError(variable, message)

"""Database URL forms: Argilla accepts sync and async spellings; we normalise to the async driver."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from service.core.errors import ConfigurationError
from service.core.secrets import mask_url

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
ACCEPTED = "postgresql://, postgresql+asyncpg://, postgresql+psycopg2://, sqlite:///PATH, sqlite+aiosqlite:///PATH"


def async_url(raw: str) -> URL:
    """Parse ``raw`` and return it with the async driver for its dialect (asyncpg / aiosqlite)."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigurationError(f"ARGILLA_DATABASE_URL {mask_url(raw)!r} is not a URL; accepted: {ACCEPTED}") from exc
    backend = url.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigurationError(f"ARGILLA_DATABASE_URL uses {backend!r}, which is not supported; accepted: {ACCEPTED}")
    # Argilla's sync-era default carried check_same_thread, which aiosqlite does not need.
    query = {k: v for k, v in url.query.items() if k != "check_same_thread"}
    return url.set(drivername=_ASYNC_DRIVERS[backend], query=query)


def dialect_of(raw: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return async_url(raw).get_backend_name()


def masked(raw: str) -> str:
    """The URL as it may be shown: password replaced by ``***``."""
    return mask_url(async_url(raw).render_as_string(hide_password=False))

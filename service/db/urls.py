"""Database URL forms: Argilla accepts sync and async spellings; we normalise to the async driver."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from service.core.errors import ConfigurationError
from service.core.secrets import MASK, is_secret_key, mask_url

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# asyncpg.connect() keywords that make sense in a URL, plus SQLAlchemy's own asyncpg options.
_QUERY_KEYS = {
    "postgresql": frozenset(
        {
            "password",
            "passfile",
            "service",
            "servicefile",
            "ssl",
            "direct_tls",
            "server_settings",
            "target_session_attrs",
            "krbsrvname",
            "gsslib",
            "timeout",
            "command_timeout",
            "statement_cache_size",
            "max_cached_statement_lifetime",
            "max_cacheable_statement_size",
            "prepared_statement_cache_size",
            "prepared_statement_name_func",
        }
    ),
    "sqlite": frozenset(
        {"timeout", "uri", "mode", "cache", "immutable", "nolock", "vfs", "isolation_level", "detect_types", "cached_statements"}
    ),
}
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
    unknown = sorted(set(query) - _QUERY_KEYS[backend])
    if unknown:
        # Passed on as driver keywords, they would fail at the first connection with a TypeError.
        raise ConfigurationError(
            f"ARGILLA_DATABASE_URL has query parameter(s) {', '.join(unknown)} that the {backend} driver does not take; "
            f"accepted: {', '.join(sorted(_QUERY_KEYS[backend])) or 'none'}"
        )
    return url.set(drivername=_ASYNC_DRIVERS[backend], query=query)


def dialect_of(raw: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return async_url(raw).get_backend_name()


def masked(raw: str) -> str:
    """The URL as it may be shown: password and credential query values replaced by ``***``."""
    url = async_url(raw)
    query = {key: (MASK if is_secret_key(key) else value) for key, value in url.query.items()}
    # The query values are masked again as text: rendering percent-encodes the mask.
    return mask_url(url.set(query=query).render_as_string(hide_password=True))

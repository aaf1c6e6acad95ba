"""Database URL forms Argilla accepts, normalised to the async drivers, refused with the accepted forms."""

from __future__ import annotations

import pytest

from service.core.errors import ConfigurationError
from service.db.urls import async_url, dialect_of, masked

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "driver", "dialect"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg", "postgresql"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+asyncpg", "postgresql"),
        ("sqlite:///relative.db", "sqlite+aiosqlite", "sqlite"),
        ("sqlite+aiosqlite:////abs/a.db?timeout=3", "sqlite+aiosqlite", "sqlite"),
    ],
)
def test_each_spelling_gets_the_async_driver_of_its_dialect(raw: str, driver: str, dialect: str) -> None:
    """Sync-era spellings would otherwise reach create_async_engine with a sync driver."""
    assert async_url(raw).drivername == driver
    assert dialect_of(raw) == dialect


def test_check_same_thread_is_dropped_and_known_driver_options_kept() -> None:
    """Argilla's old SQLite default must not reach aiosqlite; real driver options pass through."""
    url = async_url("sqlite:////tmp/a.db?check_same_thread=false&timeout=7")
    assert dict(url.query) == {"timeout": "7"}
    assert dict(async_url("postgresql://u@h/db?ssl=require").query) == {"ssl": "require"}


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("not a url", "is not a URL"),
        ("mysql://u:pw-secret-1@h/db", "'mysql', which is not supported"),
        ("postgresql://u@h/db?sslmode=require", "sslmode"),
        ("sqlite:////tmp/a.db?journal=wal", "journal"),
    ],
)
def test_unsupported_urls_are_refused_with_what_is_accepted(raw: str, needle: str) -> None:
    """A URL the driver would fail on at the first connection is refused at start-up, naming the problem."""
    with pytest.raises(ConfigurationError) as failed:
        async_url(raw)
    assert needle in failed.value.detail and "accepted:" in failed.value.detail
    assert "pw-secret-1" not in failed.value.detail


def test_masked_url_hides_the_password_and_credential_parameters() -> None:
    """The shown URL keeps user, host and database readable but never the password or a credential value."""
    shown = masked("postgresql://argilla:s3cr3t-pw@db:5432/argilla?password=other-pw&ssl=require")
    assert "s3cr3t" not in shown and "other-pw" not in shown
    assert shown.startswith("postgresql+asyncpg://argilla:***@db:5432/argilla?") and "ssl=require" in shown

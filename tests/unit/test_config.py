"""Settings parsing: Argilla's variable names, strict values, token rules, and masked secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.core.config import load_settings, token_digest
from service.core.errors import ConfigurationError
from service.core.secrets import mask_text, mask_url
from service.db.urls import async_url, masked

pytestmark = pytest.mark.unit


def test_defaults_follow_argilla(tmp_path: Path) -> None:
    """Without ARGILLA_DATABASE_URL the database is SQLite in ARGILLA_HOME_PATH, as in Argilla."""
    settings = load_settings({"ARGILLA_HOME_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'argilla.db'}"
    assert settings.sqlite_timeout == 5.0 and settings.search.engine == "elasticsearch" and settings.search.url is None
    assert settings.reindex_datasets is False
    assert (settings.search.request_timeout, settings.search.refresh_timeout) == (30.0, 3600.0)
    tuned = load_settings({"ARGILLA_MAINT_SEARCH_TIMEOUT": "5", "ARGILLA_MAINT_SEARCH_REFRESH_TIMEOUT": "900"})
    assert (tuned.search.request_timeout, tuned.search.refresh_timeout) == (5.0, 900.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql+asyncpg"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+asyncpg"),
        ("sqlite:////tmp/a.db?check_same_thread=False", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:////tmp/a.db", "sqlite+aiosqlite"),
    ],
)
def test_sync_and_async_url_forms_are_accepted(raw: str, expected: str) -> None:
    """Both URL spellings Argilla accepts map to the async driver; check_same_thread is dropped."""
    url = async_url(raw)
    assert url.drivername == expected and "check_same_thread" not in url.query


def test_unsupported_database_names_the_accepted_forms() -> None:
    """A MySQL URL is refused with the list of accepted forms, and without its password."""
    with pytest.raises(ConfigurationError) as failed:
        async_url("mysql://root:hunter2hunter2@db/argilla")
    assert "postgresql://" in failed.value.detail and "hunter2" not in failed.value.detail


def test_tokens_inline_and_file(tmp_path: Path) -> None:
    """Tokens come from ARGILLA_MAINT_TOKENS and ARGILLA_MAINT_TOKENS_FILE; only digests are kept; :read scopes."""
    token_file = tmp_path / "tokens"
    token_file.write_text("# rotated 2026-11\nhook:hook-token-0123456789\nviewer:viewer-token-0123456789:read\n")
    settings = load_settings(
        {"ARGILLA_MAINT_TOKENS": "ops:ops-token-0123456789abc", "ARGILLA_MAINT_TOKENS_FILE": str(token_file)}
    )
    assert [(t.name, t.scope) for t in settings.tokens] == [("ops", "admin"), ("hook", "admin"), ("viewer", "read")]
    assert settings.tokens[2].digest == token_digest("viewer-token-0123456789")
    assert "ops-token" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"ARGILLA_MAINT_TOKENS": "short:abc"}, "at least 16"),
        ({"ARGILLA_MAINT_TOKENS": "no-colon-here-0123456789"}, "malformed"),
        ({"ARGILLA_MAINT_TOKENS": "a:0123456789abcdef,a:0123456789abcdeg"}, "unique"),
        ({"ARGILLA_MAINT_TOKENS_FILE": "/nonexistent/tokens"}, "cannot read"),
        ({"ARGILLA_DATABASE_SQLITE_TIMEOUT": "soon"}, "ARGILLA_DATABASE_SQLITE_TIMEOUT"),
        ({"REINDEX_DATASETS": "maybe"}, "REINDEX_DATASETS"),
        ({"ARGILLA_SEARCH_ENGINE": "solr"}, "elasticsearch, opensearch"),
        ({"ARGILLA_ES_RECORDS_INDEX_SHARDS": "0"}, ">= 1"),
        ({"ARGILLA_MAINT_SEARCH_REFRESH_TIMEOUT": "forever"}, "ARGILLA_MAINT_SEARCH_REFRESH_TIMEOUT"),
    ],
)
def test_bad_values_name_the_variable_and_what_is_accepted(env: dict[str, str], needle: str) -> None:
    """Every configuration error says which variable was wrong and what is accepted, never echoing a token."""
    with pytest.raises(ConfigurationError) as failed:
        load_settings(env)
    assert needle in failed.value.detail
    assert "abc" not in failed.value.detail.replace("abcdef", "") and "0123456789abcde" not in failed.value.detail


def test_argilla_flags_accept_true_and_1() -> None:
    """REINDEX_DATASETS=true|1 turns the start-up reindex on, as in Argilla's images."""
    assert load_settings({"REINDEX_DATASETS": "true"}).reindex_datasets
    assert load_settings({"REINDEX_DATASETS": "1"}).reindex_datasets
    assert load_settings({"ARGILLA_SEARCH_ENGINE": " OpenSearch "}).search.engine == "opensearch"


def test_masking_hides_url_passwords_and_named_secrets() -> None:
    """Passwords in URLs and given secrets become ***; user and host stay readable."""
    assert mask_url("postgresql+asyncpg://argilla:pa:ss@db:5432/argilla") == "postgresql+asyncpg://argilla:***@db:5432/argilla"
    assert mask_text("token abcdefabcdef0123 used", ("abcdefabcdef0123",)) == "token *** used"
    assert masked("postgresql://u:secret@h/db") == "postgresql+asyncpg://u:***@h/db"


TOKEN = "tok-0123456789abcdef"


@pytest.mark.parametrize(
    ("inline", "needle"),
    [
        (f"ci:{TOKEN}:readonly", "unknown scope"),
        (f"ci:{TOKEN}:Read", "unknown scope"),
        (f"ci:{TOKEN}:read:admin", "malformed"),
        (f" ci:{TOKEN}", "surrounding whitespace"),
        (f"ci:{TOKEN} ", "surrounding whitespace"),
        (f"ci:{TOKEN}:read,\tops:{TOKEN}x", "surrounding whitespace"),
        (f"ci:{TOKEN},,ops:{TOKEN}x", "empty"),
        (f"ci:{TOKEN},ci:{TOKEN}x", "repeated: ci"),
        ("ci:tok en-0123456789abcdef", "spaces"),
        (f"ci::{TOKEN}", "empty token"),
        (f":{TOKEN}", "malformed"),
        (f"c i:{TOKEN}", "malformed"),
        (TOKEN, "malformed"),
        (f"{TOKEN}:read", "16 needed"),
    ],
)
def test_token_entries_are_parsed_strictly(inline: str, needle: str) -> None:
    """A mistyped scope, stray whitespace, an empty entry or a repeated name would otherwise become a wrong token."""
    with pytest.raises(ConfigurationError) as failed:
        load_settings({"ARGILLA_MAINT_TOKENS": inline})
    assert needle in failed.value.detail, failed.value.detail
    assert "ARGILLA_MAINT_TOKENS entry" in failed.value.detail or "repeated" in failed.value.detail
    assert "0123456789abcdef" not in failed.value.detail


def test_token_errors_name_the_entry_and_file_line(tmp_path: Path) -> None:
    """The refusal says where the bad entry is (file line, name), so an operator can fix it without the token shown."""
    token_file = tmp_path / "tokens"
    token_file.write_text(f"# ci\nhook:{TOKEN}\nci:{TOKEN}x:readonly\n")
    with pytest.raises(ConfigurationError) as failed:
        load_settings({"ARGILLA_MAINT_TOKENS_FILE": str(token_file)})
    assert failed.value.detail.startswith("ARGILLA_MAINT_TOKENS_FILE line 3 ('ci') has an unknown scope")
    token_file.write_text(f"hook:{TOKEN}\r\n")
    with pytest.raises(ConfigurationError, match=r"line 1 .* surrounding whitespace"):
        load_settings({"ARGILLA_MAINT_TOKENS_FILE": str(token_file)})


def test_token_scopes_read_and_admin_are_accepted() -> None:
    """Explicit :admin and :read scopes parse to the right scope and digest of the token alone."""
    tokens = load_settings({"ARGILLA_MAINT_TOKENS": f"a:{TOKEN}:admin,r:{TOKEN}x:read,d:{TOKEN}y"}).tokens
    assert [(t.name, t.scope) for t in tokens] == [("a", "admin"), ("r", "read"), ("d", "admin")]
    assert tokens[0].digest == token_digest(TOKEN) and tokens[1].digest == token_digest(TOKEN + "x")

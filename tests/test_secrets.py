"""Property tests: no password, in any URL form, reaches any output channel (text, JSON, errors, HTTP, logs)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import sqlalchemy as sa
import structlog
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.cli import exit_codes
from service.cli.main import cli
from service.core.config import load_settings
from service.core.errors import ConfigurationError
from service.core.logging import configure_logging
from service.core.secrets import MASK, mask_text, mask_url
from service.db.urls import async_url, masked
from tests.support.http import READER, TOKENS_ENV

# Every generated password carries this mark, so no ordinary output (a URL, a table name) can contain it by chance.
MARK = "Q~"


def marked(text: str) -> str:
    return f"{MARK}{text}"


# Any printable character but whitespace: what an operator may put in a password (percent-encoded in the URL).
PASSWORDS = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=10,
    max_size=40,
).map(marked)
# libpq and SCRAM take any byte, but stay with ASCII for the real server (SASLprep may rewrite others).
ASCII_PASSWORDS = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=10, max_size=40).map(marked)
# A raw (unencoded) password inside free text: anything but whitespace and the quotes that end a quoted URL.
RAW_PASSWORDS = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="\"'<>"), min_size=10, max_size=40
).map(marked)


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}


def assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, (form, text)


def database_urls(user: str, password: str, host: str = "db.internal:5432", db: str = "argilla") -> list[str]:
    """Every way a password can be given in ARGILLA_DATABASE_URL."""
    enc, plus = quote(password, safe=""), quote_plus(password)
    return [
        f"postgresql://{user}:{enc}@{host}/{db}",
        f"postgresql+asyncpg://{user}:{enc}@{host}/{db}?ssl=prefer",
        f"postgresql://{user}@{host}/{db}?password={plus}",
        f"postgresql://{user}@{host}/{db}?ssl=require&password={enc}",
        f"postgresql://{user}@{host}/{db}?pass%77ord={enc}",
        f"postgresql+psycopg2://{user}:{enc}@{host}/{db}?password={enc}",
    ]


@settings(max_examples=300, deadline=None)
@given(password=PASSWORDS, other=PASSWORDS)
def test_every_url_form_is_masked_in_text_settings_errors_and_logs(password: str, other: str) -> None:
    """A credential form the masks miss (query password, sslpassword, ES userinfo) would be shown in clear."""
    es_url = f"https://elastic:{quote(other, safe='')}@search.internal:9200"
    for url in database_urls("argilla", password):
        shown = masked(url)
        assert_hidden(shown, password)
        assert MASK in shown and "argilla@" in shown.replace(f":{MASK}@", "@")
        assert_hidden(mask_url(url), password)
        # Free text with no knowledge of the secret (a driver message quoting the URL) is masked by pattern.
        assert_hidden(mask_text(f"could not connect to '{url}': refused"), password)
        env = {"ARGILLA_DATABASE_URL": url, "ARGILLA_ELASTICSEARCH": es_url}
        configured = load_settings(env)
        assert_hidden(repr(configured), password, other)
        assert_hidden(mask_text(f"boom {password} and {other}", configured.secrets), password, other)
        stream = io.StringIO()
        with contextlib.redirect_stderr(stream):
            configure_logging("INFO", json=True, secrets=configured.secrets)
            structlog.get_logger("probe").warning(
                "probe", url=url, es=es_url, nested={"urls": [url, es_url]}, text=f"password was {password}"
            )
        structlog.reset_defaults()
        line = stream.getvalue()
        assert "probe" in line
        assert_hidden(line, password, other)


@settings(max_examples=150, deadline=None)
@given(password=PASSWORDS, sslpassword=PASSWORDS)
def test_unsupported_sslpassword_is_refused_without_echoing_it(password: str, sslpassword: str) -> None:
    """asyncpg takes no sslpassword: the refusal names the parameter, never its value nor the password."""
    url = f"postgresql://u:{quote(password, safe='')}@h/db?sslpassword={quote(sslpassword, safe='')}"
    with pytest.raises(ConfigurationError) as refused:
        async_url(url)
    assert "sslpassword" in refused.value.detail
    assert_hidden(refused.value.detail, password, sslpassword)
    assert_hidden(masked(url.replace("sslpassword", "password")), password, sslpassword)


@settings(max_examples=200, deadline=None)
@given(password=RAW_PASSWORDS)
def test_unencoded_passwords_in_free_text_are_masked_whole(password: str) -> None:
    """A password written without percent-encoding (even with @, : or /) is masked whole in any message."""
    for text in (
        f"connect postgresql://user:{password}@db:5432/argilla failed",
        f"node http://elastic:{password}@es:9200 did not answer",
        f"dsn host=db password={password} dbname=argilla",
    ):
        assert password not in mask_text(text), mask_text(text)


@pytest.fixture
def probe_role(postgres_url: str) -> Iterator[tuple[str, sa.Engine]]:
    """A login role whose password each example sets, owning a fresh database."""
    role = f"probe_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        sa.make_url(postgres_url).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    database = sa.make_url(postgres_url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        conn.exec_driver_sql(f'ALTER DATABASE "{database}" OWNER TO "{role}"')
        conn.exec_driver_sql(f'GRANT ALL ON SCHEMA public TO "{role}"')
    try:
        yield role, admin
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{database}" OWNER TO postgres')
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=True)
    return result.exit_code, result.stdout + result.stderr + repr(result.exception or "")


async def _http_channels(env: dict[str, str]) -> str:
    async with AsyncTestClient(create_app(load_settings(env))) as client:
        revisions = await client.get("/revisions", headers=READER)
        assert revisions.status_code == 200, revisions.text
        ready = await client.get("/readyz")
        operations = await client.get("/operations", headers=READER)
    return revisions.text + ready.text + operations.text + json.dumps(dict(revisions.headers))


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example is a real round trip: no long shrinking
)
@given(password=ASCII_PASSWORDS, form=st.integers(0, 2))
def test_real_server_outputs_never_show_the_password(
    probe_role: tuple[str, sa.Engine], postgres_url: str, tmp_path: Path, password: str, form: int
) -> None:
    """On a real server, `database revisions` (text, --json), GET /revisions, /readyz, logs and auth errors hide it."""
    role, admin = probe_role
    with admin.connect() as conn:
        # ALTER ROLE takes no bind parameters: a quoted literal, sent by the DBAPI cursor without arguments so
        # neither SQLAlchemy (":name") nor psycopg2 ("%(name)s") reads placeholders in the generated password.
        literal = "'" + password.replace("'", "''") + "'"
        with conn.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(f'ALTER ROLE "{role}" PASSWORD {literal}')
    base = sa.make_url(postgres_url)
    host = f"{base.host}:{base.port}"
    url = database_urls(role, password, host, str(base.database))[[0, 2, 4][form]]
    env = {
        "ARGILLA_DATABASE_URL": url,
        "ARGILLA_HOME_PATH": str(tmp_path),
        "ARGILLA_MAINT_TOKENS": TOKENS_ENV,
        "ARGILLA_MAINT_LOG_LEVEL": "DEBUG",
    }
    code, text = _cli(["database", "revisions"], env)
    assert code == 0 and "Current revision(s) for postgresql+asyncpg://" in text, text
    assert_hidden(text, password)
    code, text = _cli(["database", "revisions", "--json"], env)
    assert code == 0, text
    assert_hidden(text, password)
    assert_hidden(asyncio.run(_http_channels(env)), password)
    wrong = f"{password}-but-wrong"
    wrong_env = {**env, "ARGILLA_DATABASE_URL": database_urls(role, wrong, host, str(base.database))[[0, 2, 4][form]]}
    code, text = _cli(["database", "revisions"], wrong_env)
    assert code == exit_codes.CONFIGURATION and "password authentication failed" in text, text
    assert_hidden(text, password, wrong)

"""Database faults end in a 503 problem naming the cause on every endpoint and one CLI ``Error:`` line, never a 500."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.cli import exit_codes
from service.cli.main import cli
from service.core.errors import DatabaseLocked, DatabaseUnavailable
from service.db import history
from service.db.engine import create_engine
from service.db.errors import translate
from tests.conftest import _missing
from tests.support.http import ADMIN, READER, http_settings, problem_type
from tests.support.postgres import PostgresCluster, find_bindir, running_cluster

HEAD = "580a6553186f"
ENDPOINTS = [
    ("GET", "/operations", ADMIN),
    ("GET", f"/operations/{uuid.uuid4()}", ADMIN),
    ("POST", "/migrate", ADMIN),
    ("GET", "/readyz", {}),
    ("GET", "/revisions", READER),
]
CLI_COMMANDS = [
    ["database", "revisions"],
    ["database", "revisions", "--json"],
    ["database", "migrate"],
    ["database", "migrate", "--dry-run"],
    ["operations", "list"],
    ["operations", "show", str(uuid.uuid4())],
]


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of this test alone, so it can be stopped without hurting the others."""
    bindir = find_bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    assert bindir is not None
    with running_cluster(bindir) as cluster:
        yield cluster


def cli_run(args: list[str], url: str, home: Path) -> tuple[int, str]:
    env = {"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": str(home), "ARGILLA_MAINT_LOG_LEVEL": "ERROR"}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stderr


def assert_one_error_line(code: int, err: str, *needles: str, expected: int = exit_codes.TRANSIENT) -> None:
    """One ``Error:`` line naming the cause; by default the transient code (an unreachable database: a rerun may pass)."""
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == expected, err
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("Error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]


async def _all_endpoints(client: AsyncTestClient[Any]) -> list[Any]:
    responses = []
    for method, path, headers in ENDPOINTS:
        body: dict[str, Any] | None = {} if method == "POST" else None
        responses.append(await client.request(method, path, headers=headers, json=body))
    return responses


@pytest.mark.asyncio
async def test_postgres_stopped_after_warm_up_is_a_503_everywhere(own_cluster: PostgresCluster, tmp_path: Path) -> None:
    """Without translation at the db seam, GET /operations and POST /migrate answer 500 and the CLI a traceback."""
    url = own_cluster.url(driver="postgresql")
    async with AsyncTestClient(create_app(http_settings(url, tmp_path))) as client:
        warm = await client.post("/migrate", json={}, headers={**ADMIN, "Prefer": "wait=60"})
        assert warm.status_code == 200 and warm.json()["status"] == "succeeded", warm.text
        own_cluster.stop()
        try:
            for response, (method, path, _) in zip(await _all_endpoints(client), ENDPOINTS, strict=True):
                assert response.status_code == 503, (method, path, response.text)
                assert problem_type(response) == "database-unavailable", response.text
                # The test server's password is "postgres", so the configured-secret mask hides that word everywhere.
                assert "cannot use the database at" in response.json()["detail"]
                detail = response.json()["detail"]
                # A pooled connection finds it closed, a new one is refused: both name the cause.
                assert ":***@127.0.0.1" in detail and ("connection was refused" in detail or "connection was lost" in detail)
            for args in CLI_COMMANDS:
                code, err = await asyncio.to_thread(cli_run, args, url, tmp_path)
                assert_one_error_line(code, err, "cannot use the database", "refused")
        finally:
            own_cluster.start()
        again = await client.get("/operations", headers=ADMIN)
        assert again.status_code == 200 and again.json()["total"] == 1  # the pool recovers once the server is back


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"password": "not-the-password"}, "password authentication failed"),
        ({"database": "no_such_database"}, "the database does not exist"),
        ({"username": "no_such_role"}, "password authentication failed"),
    ],
)
async def test_wrong_credentials_or_database_name_the_cause(
    postgres_url: str, tmp_path: Path, change: dict[str, str], cause: str
) -> None:
    """A wrong password, database or role is a 503 naming it on every endpoint and one CLI line, not a 500/traceback."""
    url = sa.make_url(postgres_url).set(**change).render_as_string(hide_password=False)  # type: ignore[arg-type]
    async with AsyncTestClient(create_app(http_settings(url, tmp_path))) as client:
        for response, (method, path, _) in zip(await _all_endpoints(client), ENDPOINTS, strict=True):
            assert response.status_code == 503, (method, path, response.text)
            assert problem_type(response) == "database-unavailable"
            assert cause in response.json()["detail"] and response.json()["reason"] == cause
            assert "not-the-password" not in response.text
    for args in CLI_COMMANDS:
        code, err = await asyncio.to_thread(cli_run, args, url, tmp_path)
        # The server answered and refused the URL: no rerun passes until it changes, so the code is final.
        assert_one_error_line(code, err, cause, expected=exit_codes.CONFIGURATION)
        assert "not-the-password" not in err


# aiosqlite's worker thread for a connection that failed to open reports into the CLI run's closed loop.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_unreachable_sqlite_file_is_a_database_unavailable(tmp_path: Path) -> None:
    """A SQLite path that cannot be opened (a directory) names the cause instead of a traceback."""
    (tmp_path / "dir.db").mkdir()
    code, err = cli_run(["database", "revisions"], f"sqlite:///{tmp_path / 'dir.db'}", tmp_path)
    assert_one_error_line(code, err, "cannot open the database file")
    _collect_failed_sqlite_connections()


def _collect_failed_sqlite_connections() -> None:
    """Collect the failed connection here, so its worker thread's late report cannot land in the next test."""
    gc.collect()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any("_connection_worker_thread" in t.name for t in threading.enumerate()):
        time.sleep(0.01)


@pytest.mark.asyncio
async def test_sqlite_locked_has_an_error_class_of_its_own(sqlite_url: str, tmp_path: Path) -> None:
    """A write while another connection holds SQLite's write lock is DatabaseLocked (409), read from the error code."""
    settings = http_settings(sqlite_url, tmp_path, ARGILLA_DATABASE_SQLITE_TIMEOUT="0")
    code, _ = await asyncio.to_thread(cli_run, ["operations", "list"], sqlite_url, tmp_path)  # creates the history tables
    assert code == 0
    path = sa.make_url(sqlite_url).database
    assert path is not None
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    engine = create_engine(settings)
    try:
        with pytest.raises(DatabaseLocked) as locked:
            await history.create(engine, kind="migrate", actor="t", resource="database", parameters={}, holder="h")
        assert locked.value.status == 409 and locked.value.slug == "database-locked"
    finally:
        blocker.rollback()
        blocker.close()
        await engine.dispose()


def test_translation_reads_codes_not_text() -> None:
    """An asyncpg-style error without SQLSTATE but with connection_invalidated, or a bare OSError, is unavailable."""

    class Dropped(sa.exc.DBAPIError):
        pass

    dropped = Dropped("SELECT 1", None, Exception("whatever text"), connection_invalidated=True)
    assert isinstance(translate(dropped, "postgresql://u:pw@h/db"), DatabaseUnavailable)
    refused = translate(ConnectionRefusedError(111, "Connection refused"), "postgresql://u:pw@h/db")
    assert isinstance(refused, DatabaseUnavailable) and "pw" not in refused.detail
    assert isinstance(translate(TimeoutError(), "sqlite:///x.db"), DatabaseUnavailable)


def test_raw_asyncpg_errors_are_translated_at_the_seam() -> None:
    """The streamed document query uses asyncpg directly: its own errors become service errors, not `internal`."""
    import asyncpg

    from service.db.errors import translate_errors

    url = "postgresql://u:pw@h/db"
    with pytest.raises(DatabaseUnavailable) as lost, translate_errors(url):
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    assert "failed or was lost" in lost.value.detail and "pw" not in lost.value.detail
    with pytest.raises(DatabaseUnavailable) as shutdown, translate_errors(url):
        raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
    assert shutdown.value.extra["reason"] == "the server is shutting down"

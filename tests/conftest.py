"""Fixtures that chain down from one real PostgreSQL server per session (and SQLite files)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import structlog

from tests.support.postgres import find_bindir, running_cluster
from tests.support.search_nodes import SearchNode, SearchNodeError, engines_from_env, running_node

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ENGINES = engines_from_env()


def _missing(component: str) -> None:
    """A test that needs a real component fails in CI when it is missing, and skips elsewhere."""
    message = f"{component} is not available"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: real components are required)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL (sync form, no database) of the session's PostgreSQL: TEST_DATABASE_URL or a throwaway cluster."""
    override = os.environ.get("TEST_DATABASE_URL")
    if override:
        yield sa.make_url(override).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        return
    bindir = find_bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    assert bindir is not None
    with running_cluster(bindir) as cluster:
        yield cluster.url(driver="postgresql")


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, as a plain ``postgresql://`` URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    # SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3; the test extra ships psycopg2.
    admin_url = sa.make_url(postgres_server).set(drivername="postgresql+psycopg2")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for one test, as a plain ``sqlite:///`` URL."""
    return f"sqlite:///{tmp_path / 'argilla.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh database on each dialect, as a plain (sync-form) URL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """CLI runs configure structlog for the process (e.g. a WARNING filter); no test inherits another's set-up."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session", params=ENGINES, ids=[f"{e}-{v}" for e, v in ENGINES])
def search_node(request: pytest.FixtureRequest) -> Iterator[SearchNode]:
    """One node per engine for the whole session; it must start in CI, elsewhere a missing node skips."""
    engine, version = request.param
    with contextlib.ExitStack() as stack:
        try:
            node = stack.enter_context(running_node(engine, version))
        except (SearchNodeError, OSError) as exc:
            message = f"{engine} {version} node did not start: {exc}"
            if IN_CI:
                pytest.fail(f"{message} (CI=true: real components are required)", pytrace=False)
            pytest.skip(message)
        yield node

"""Async engines: the service's pooled engine and the single-connection engine migrations run on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from service.core.config import Settings
from service.core.errors import MaintenanceError
from service.db.errors import translate_errors, translated
from service.db.urls import async_url

# The handle operations carry and pass back to the functions of this package (they never open it themselves).
Engine: TypeAlias = AsyncEngine
# What a failed database call may raise, for callers that log and carry on (heartbeats, the stale sweep, shutdown).
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, MaintenanceError)
__all__ = ["DATABASE_ERRORS", "Engine", "create_engine", "create_migration_engine", "ping", "translate_errors"]

# A pooled PostgreSQL connection idle for this long is pinged before use (see _ping_idle_connections).
IDLE_PING_SECONDS = 10.0


def create_engine(settings: Settings, *, idle_ping_seconds: float = IDLE_PING_SECONDS) -> AsyncEngine:
    """The service's engine: SQLite with foreign keys on (as Argilla), PostgreSQL with Argilla's pool sizes."""
    url = async_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(url.database)
        engine = create_async_engine(url, connect_args={"timeout": settings.sqlite_timeout})
        _on_sqlite_connect(engine, foreign_keys=True, transactional=False)
        return engine
    engine = create_async_engine(url, pool_size=settings.pg_pool_size, max_overflow=settings.pg_max_overflow)
    _ping_idle_connections(engine, idle_ping_seconds)
    return engine


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling for connections that sat idle in the pool (a restart may have cut them).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: on asyncpg a BEGIN, a ping and a ROLLBACK,
    three round trips before each request's one query. A connection in steady use needs none (an error on
    it invalidates the pool anyway); one idle for ``idle_seconds`` is pinged, and replaced if that fails.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("idle pooled connection failed its ping") from exc


def create_migration_engine(settings: Settings) -> AsyncEngine:
    """An engine for one migration run.

    On SQLite the connection has foreign keys OFF (a batch rebuild drops and recreates tables, and
    with enforcement on, ON DELETE CASCADE would empty the child tables) and a real ``BEGIN
    IMMEDIATE`` so the whole run is one atomic transaction that also holds the write lock.
    """
    url = async_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(url.database)
        engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": settings.sqlite_timeout})
        _on_sqlite_connect(engine, foreign_keys=False, transactional=True)
        return engine
    return create_async_engine(url, poolclass=NullPool)


def _ensure_sqlite_dir(database: str | None) -> None:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(engine: AsyncEngine, *, foreign_keys: bool, transactional: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        if transactional:
            # Take BEGIN out of the driver's hands so DDL is transactional too.
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    if transactional:

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@translated
async def ping(engine: AsyncEngine) -> None:
    """One ``SELECT 1`` round trip (readiness)."""
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))

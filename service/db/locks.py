"""Database-wide named locks, so one migration (or reindex of a dataset) runs at a time across processes.

PostgreSQL: a session advisory lock held on a dedicated connection for the whole run; it dies with
its holder, and it is released on a clean connection (a broken one is invalidated, never pooled).
SQLite: a row in ``maint_locks`` with holder (host, pid, process start time: see core.holders) and
expiry, renewed by a heartbeat while held. A row whose holder is a dead process on this host is
taken over at once; any other expired row is taken over too (its holder stopped renewing it).
Shared locks let several holders in at once (reindexes) while keeping an exclusive one (a migration) out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.core import holders as processes
from service.db.errors import translate_errors, translated
from service.db.history import utcnow
from service.db.history_tables import locks

POLL_SECONDS = 0.2
RELEASE_SECONDS = 10.0


class LockUnavailable(Exception):
    """The lock stayed taken for the whole timeout."""

    def __init__(self, name: str, waited: float) -> None:
        super().__init__(name)
        self.name = name
        self.waited = waited


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(f"argilla-maint:{name}".encode()).digest()[:8], "big", signed=True)


@contextlib.asynccontextmanager
async def hold(
    engine: AsyncEngine,
    name: str,
    *,
    holder: str,
    operation_id: str | None,
    timeout: float,
    ttl: float,
    shared: bool = False,
    paused: Callable[[], bool] = lambda: False,
) -> AsyncIterator[float]:
    """Hold lock ``name`` for the block; yields the seconds spent waiting. Raises ``LockUnavailable``.

    ``paused`` tells the SQLite renewer to skip a beat (while a migration holds SQLite's write lock).
    """
    if engine.dialect.name == "postgresql":
        async with _advisory(engine, name, timeout=timeout, shared=shared) as waited:
            yield waited
    else:
        async with _row_lock(
            engine, name, holder=holder, operation_id=operation_id, timeout=timeout, ttl=ttl, shared=shared, paused=paused
        ) as waited:
            yield waited


@contextlib.asynccontextmanager
async def _advisory(engine: AsyncEngine, name: str, *, timeout: float, shared: bool) -> AsyncIterator[float]:
    key = advisory_key(name)
    suffix = "_shared" if shared else ""
    with translate_errors(engine.url):  # taking the lock is a database call; the held block's errors are its own
        conn = await engine.connect()
    try:
        waited = await _poll(lambda: _try_advisory(conn, f"pg_try_advisory_lock{suffix}", key), name, timeout)
    except BaseException:
        await conn.invalidate()
        await conn.close()
        raise
    try:
        yield waited
    finally:
        try:
            await conn.execute(sa.select(getattr(sa.func, f"pg_advisory_unlock{suffix}")(key)))
            await conn.commit()
        except (SQLAlchemyError, OSError, asyncio.CancelledError):
            # The session may be gone already; invalidating closes it, which frees the lock.
            await conn.invalidate()
        await conn.close()


@translated
async def _try_advisory(conn: AsyncConnection, function: str, key: int) -> bool:
    got = (await conn.execute(sa.select(getattr(sa.func, function)(key)))).scalar_one()
    await conn.commit()
    return bool(got)


@contextlib.asynccontextmanager
async def _row_lock(
    engine: AsyncEngine,
    name: str,
    *,
    holder: str,
    operation_id: str | None,
    timeout: float,
    ttl: float,
    shared: bool,
    paused: Callable[[], bool],
) -> AsyncIterator[float]:
    row_name = f"{name}#{operation_id or holder}" if shared else name
    waited = await _poll(lambda: _try_row(engine, name, row_name, holder, operation_id, ttl, shared), name, timeout)
    renewer = asyncio.create_task(_renew(engine, row_name, holder, ttl, paused))
    try:
        yield waited
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        await asyncio.shield(_release_row(engine, row_name, holder))


async def _release_row(engine: AsyncEngine, row_name: str, holder: str) -> None:
    """Delete our lock row, retrying while SQLite is busy; a row left behind is taken over once we are gone."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RELEASE_SECONDS
    while True:
        try:
            async with engine.begin() as conn:
                await conn.execute(locks.delete().where(locks.c.name == row_name, locks.c.holder == holder))
            return
        except (SQLAlchemyError, OSError):
            if loop.time() >= deadline:
                return
            await asyncio.sleep(POLL_SECONDS)


@translated
async def _try_row(
    engine: AsyncEngine, name: str, row_name: str, holder: str, operation_id: str | None, ttl: float, shared: bool
) -> bool:
    now = utcnow()
    family = sa.or_(locks.c.name == name, locks.c.name.like(f"{name}#%"))
    blocking = (locks.c.name == name) if shared else family
    candidate = sa.select(
        sa.literal(row_name),
        sa.literal(holder),
        sa.literal(operation_id, sa.String),
        sa.literal(now, sa.DateTime),
        sa.literal(now + timedelta(seconds=ttl), sa.DateTime),
    ).where(~sa.exists().where(blocking, locks.c.expires_at > now))
    async with engine.begin() as conn:
        await conn.execute(locks.delete().where(family, locks.c.expires_at <= now))
        await _drop_dead_holders(conn, family)
        # One INSERT ... SELECT ... WHERE NOT EXISTS: the check and the take are a single statement.
        inserted = await conn.execute(
            locks.insert().from_select(["name", "holder", "operation_id", "acquired_at", "expires_at"], candidate)
        )
    return bool(inserted.rowcount)


async def _drop_dead_holders(conn: AsyncConnection, family: sa.ColumnElement[bool]) -> None:
    """Delete the rows held by processes of this host that are gone (killed, crashed): no need to wait for expiry."""
    rows = (await conn.execute(sa.select(locks.c.name, locks.c.holder).where(family))).all()
    for name, holder in rows:
        if processes.liveness(processes.Holder.parse(holder)) == "dead":
            await conn.execute(locks.delete().where(locks.c.name == name, locks.c.holder == holder))


async def _renew(engine: AsyncEngine, row_name: str, holder: str, ttl: float, paused: Callable[[], bool]) -> None:
    while True:
        await asyncio.sleep(ttl / 3)
        if paused():
            continue
        with contextlib.suppress(SQLAlchemyError):
            async with engine.begin() as conn:
                await conn.execute(
                    locks.update()
                    .where(locks.c.name == row_name, locks.c.holder == holder)
                    .values(expires_at=utcnow() + timedelta(seconds=ttl))
                )


@translated
async def holders(engine: AsyncEngine, name: str) -> list[tuple[str, str | None]]:
    """(holder, operation id) of the unexpired SQLite lock rows of ``name`` whose holder may be alive (PostgreSQL: empty)."""
    if engine.dialect.name == "postgresql":
        return []
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(locks.c.holder, locks.c.operation_id).where(
                sa.or_(locks.c.name == name, locks.c.name.like(f"{name}#%")), locks.c.expires_at > utcnow()
            )
        )
        return [(r[0], r[1]) for r in rows if processes.liveness(processes.Holder.parse(r[0])) != "dead"]


async def _poll(attempt: Callable[[], Awaitable[bool]], name: str, timeout: float) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        if await attempt():
            return loop.time() - started
        if loop.time() - started >= timeout:
            raise LockUnavailable(name, loop.time() - started)
        await asyncio.sleep(POLL_SECONDS)

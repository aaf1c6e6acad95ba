"""Operation: migrate Argilla's schema to a target (upgrade, guarded downgrade, or dry run).

One migration at a time: an asyncio lock in this process (Alembic keeps global state) and a
database lock across processes (see db.locks). The history row is committed before any work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from service.core.errors import (
    DowngradeNotAllowed,
    IntegrityCheckFailed,
    MaintenanceError,
    MigrationFailed,
    MultipleHeads,
    OperationConflict,
)
from service.db import history, locks
from service.db.engine import create_migration_engine, translate_errors
from service.db.revisions import Direction, Step, make_config, offline_sql, run, tag_of, upgrade_maintenance_track
from service.db.urls import dialect_of
from service.ops.context import Resources
from service.ops.recording import Recorder, final_record, recorded
from service.ops.results import (
    DroppedColumn,
    DroppedTable,
    MigrateRequest,
    MigrateResult,
    MigrationPlan,
    PlannedStep,
)
from service.ops.revisions import database_heads

MIGRATION_LOCK = "migration"
MIGRATION_RESOURCE = "database"
HOLDING = "holding the migration lock"
Started = Callable[[str], None]


async def ensure_history_schema(resources: Resources) -> None:
    """Create or update our own history and lock tables (their own Alembic track, serialised), once a process."""
    if resources.history_ready:
        return
    engine = create_migration_engine(resources.settings)
    try:
        async with resources.alembic_lock:
            with translate_errors(resources.settings.database_url):
                async with engine.begin() as conn:
                    if engine.dialect.name == "postgresql":
                        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(locks.advisory_key("schema"))))
                    await conn.run_sync(upgrade_maintenance_track)
        resources.history_ready = True
    finally:
        await engine.dispose()


async def plan_migration(resources: Resources, request: MigrateRequest) -> MigrationPlan:
    """Resolve the target and list the steps from the database's revision, with what downgrades destroy."""
    target = resources.chain.resolve(request.revision)
    heads = await database_heads(resources)
    if len(heads) > 1:
        raise MultipleHeads(
            f"the database records several heads ({', '.join(heads)}); merge or stamp it first", heads=list(heads)
        )
    current = heads[0] if heads else None
    steps = resources.chain.plan(current, target)
    direction: Any = steps[0].direction if steps else "none"
    planned = [await _describe(resources, step) for step in steps]
    return MigrationPlan(from_revision=current, to_revision=target, direction=direction, steps=planned)


async def _describe(resources: Resources, step: Step) -> PlannedStep:
    tables: list[DroppedTable] = []
    columns: list[DroppedColumn] = []
    if step.drops.tables or step.drops.columns:
        with translate_errors(resources.settings.database_url):
            async with resources.engine.connect() as conn:
                for name in step.drops.tables:
                    tables.append(DroppedTable(name, await _count(conn, name)))
                for qualified in step.drops.columns:
                    table, column = qualified.split(".", 1)
                    columns.append(DroppedColumn(table, column, await _count(conn, table, column)))
    return PlannedStep(
        step.revision, step.down_revision, step.message, step.direction, tag_of(step.revision), tables, columns, step.drops.rows
    )


async def _count(conn: Any, table: str, column: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(sa.table(table))
    if column is not None:
        query = query.where(sa.column(column).is_not(None))
    return int((await conn.execute(query)).scalar_one())


async def migrate(
    resources: Resources,
    actor: str,
    request: MigrateRequest,
    *,
    lock_timeout: float | None = None,
    operation_id: str | None = None,
    on_started: Started | None = None,
) -> MigrateResult:
    """Migrate to ``request.revision``, recorded in history; ``on_started`` fires once the locks are held."""
    await ensure_history_schema(resources)
    timeout = resources.settings.lock_timeout if lock_timeout is None else lock_timeout
    async with recorded(
        resources,
        kind="migrate",
        actor=actor,
        resource=MIGRATION_RESOURCE,
        parameters=msgspec.to_builtins(request),
        operation_id=operation_id,
    ) as recorder:
        plan, sql = await _migrate(resources, recorder, request, timeout, on_started or (lambda _id: None))
    return MigrateResult(await final_record(resources, recorder.id), plan, request.dry_run, sql)


async def _migrate(
    resources: Resources, recorder: Recorder, request: MigrateRequest, timeout: float, on_started: Started
) -> tuple[MigrationPlan, str | None]:
    plan = await plan_migration(resources, request)
    recorder.from_revision, recorder.to_revision = plan.from_revision, plan.to_revision
    if request.dry_run:
        async with _process_lock(resources, recorder, timeout):
            on_started(recorder.id)
            sql = _dry_run_sql(resources, plan)
        recorder.result = {"dry_run": True, "plan": msgspec.to_builtins(plan), "sql": sql}
        return plan, sql
    _refuse_unallowed_downgrade(plan, request)
    async with _process_lock(resources, recorder, timeout), _database_lock(resources, recorder, timeout):
        on_started(recorder.id)
        plan = await plan_migration(resources, request)  # the database may have moved while we waited
        recorder.from_revision = plan.from_revision
        _refuse_unallowed_downgrade(plan, request)
        if plan.steps:
            await _apply(resources, recorder, plan)
    recorder.result = {"dry_run": False, "plan": msgspec.to_builtins(plan), "sql": None}
    return plan, None


def _refuse_unallowed_downgrade(plan: MigrationPlan, request: MigrateRequest) -> None:
    if plan.direction != "downgrade" or request.allow_downgrade:
        return
    destructive = [s for s in plan.steps if s.destructive]
    dropped = sorted({t.table for s in plan.steps for t in s.dropped_tables})
    raise DowngradeNotAllowed(
        f"going from {plan.from_revision} to {plan.to_revision} is a downgrade of {len(plan.steps)} step(s), "
        f"{len(destructive)} of them destructive"
        + (f" (drops tables: {', '.join(dropped)})" if dropped else "")
        + "; review the plan and pass allow_downgrade (CLI: --allow-downgrade) to run it",
        plan=msgspec.to_builtins(plan),
    )


def _dry_run_sql(resources: Resources, plan: MigrationPlan) -> str:
    if not plan.steps:
        return ""
    direction: Direction = "downgrade" if plan.direction == "downgrade" else "upgrade"
    return offline_sql(dialect_of(resources.settings.database_url), plan.from_revision, plan.to_revision, direction)


@contextlib.asynccontextmanager
async def _process_lock(resources: Resources, recorder: Recorder, timeout: float) -> AsyncIterator[None]:
    lock = resources.alembic_lock
    try:
        if timeout <= 0:
            if lock.locked():
                raise TimeoutError
            await lock.acquire()
        else:
            await asyncio.wait_for(lock.acquire(), timeout)
    except TimeoutError:
        raise await conflict(resources, recorder.id) from None
    try:
        yield
    finally:
        lock.release()


@contextlib.asynccontextmanager
async def _database_lock(resources: Resources, recorder: Recorder, timeout: float) -> AsyncIterator[None]:
    settings = resources.settings
    try:
        async with locks.hold(
            resources.engine,
            MIGRATION_LOCK,
            holder=resources.holder,
            operation_id=recorder.id,
            timeout=timeout,
            ttl=settings.lock_ttl,
            paused=lambda: recorder.paused,
        ) as waited:
            if resources.metrics is not None:
                resources.metrics.observe_lock_wait(waited)
            # Marks this row as the lock holder, so a refused migrate names it (not another contender).
            recorder.progress = {"phase": HOLDING}
            await recorder.flush()
            try:
                yield
            finally:
                recorder.progress = None
    except locks.LockUnavailable:
        raise await conflict(resources, recorder.id) from None


async def conflict(resources: Resources, own_id: str) -> OperationConflict:
    """An ``OperationConflict`` naming the operation that holds the database (or the lock holder)."""
    running = [
        op
        for op in await history.active_on(resources.engine, (MIGRATION_RESOURCE,))
        if op.id != own_id and op.status == "running"
    ]
    running.sort(key=lambda op: (op.progress or {}).get("phase") != HOLDING)
    if running:
        op = running[0]
        since = (op.started_at or op.created_at).isoformat()
        return OperationConflict(
            f"operation {op.id} ({op.kind} by {op.actor}, running since {since}) holds this database; "
            "wait for it to finish (GET /operations/{id}) or pass a lock timeout",
            operation_id=op.id,
            operation_url=f"/operations/{op.id}",
            running_since=since,
        )
    holders = await locks.holders(resources.engine, MIGRATION_LOCK)
    who = f" held by {holders[0][0]}" if holders else ""
    return OperationConflict(f"another migration holds the database lock{who}; retry later or pass a lock timeout")


async def _apply(resources: Resources, recorder: Recorder, plan: MigrationPlan) -> None:
    engine = create_migration_engine(resources.settings)
    sqlite = engine.dialect.name == "sqlite"
    direction: Direction = "downgrade" if plan.direction == "downgrade" else "upgrade"

    def on_step(revision: str, step_direction: Direction, seconds: float) -> None:
        recorder.steps.append({"revision": revision, "direction": step_direction, "seconds": round(seconds, 6)})

    recorder.paused = sqlite
    try:
        with translate_errors(resources.settings.database_url):
            async with engine.begin() as conn:
                await conn.run_sync(_run_alembic, direction, plan.to_revision, on_step, sqlite)
    except MaintenanceError:
        raise
    except SQLAlchemyError as exc:
        if sqlite and "database is locked" in str(getattr(exc, "orig", exc)).lower():
            raise OperationConflict(
                "another connection holds SQLite's write lock (a migration or a long write); nothing was changed, retry later"
            ) from exc
        failed = _failed_step(plan, len(recorder.steps))
        raise MigrationFailed(
            f"step {failed} failed ({type(getattr(exc, 'orig', exc)).__name__}); the run was rolled back and the "
            f"database is still at {plan.from_revision or '<base>'}; see the service log for the database's message",
            failed_revision=failed,
        ) from exc
    finally:
        recorder.paused = False
        await engine.dispose()


def _failed_step(plan: MigrationPlan, done: int) -> str:
    return plan.steps[done].revision if done < len(plan.steps) else plan.to_revision


def _run_alembic(
    connection: Connection, direction: Direction, target: str, on_step: Callable[[str, Direction, float], None], sqlite: bool
) -> None:
    before = _fk_violations(connection) if sqlite else {}
    run(connection, make_config("argilla"), direction, target, on_step)
    if sqlite:
        after = _fk_violations(connection)
        grown = {key: count for key, count in after.items() if count > before.get(key, 0)}
        if grown:
            summary = ", ".join(f"{table} -> {parent}: {count}" for (table, parent), count in sorted(grown.items()))
            raise IntegrityCheckFailed(
                f"PRAGMA foreign_key_check found new violations after the migration ({summary}); "
                "the run was rolled back and nothing changed",
                violations=[{"table": t, "parent": p, "rows": c} for (t, p), c in sorted(grown.items())],
            )


def _fk_violations(connection: Connection) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for row in connection.exec_driver_sql("PRAGMA foreign_key_check").all():
        key = (str(row[0]), str(row[2]))
        counts[key] = counts.get(key, 0) + 1
    return counts

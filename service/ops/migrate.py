"""Operation: migrate Argilla's schema to a target (upgrade, guarded downgrade, or dry run).

One migration at a time: an asyncio lock in this process (Alembic keeps global state) and a
database lock across processes (see db.locks and ops.migration_lock). The history row is committed
before any work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import msgspec

from service.core.errors import DowngradeNotAllowed, MaintenanceError, MigrationFailed, MultipleHeads, UnmanagedDatabase
from service.db import locks
from service.db.engine import DATABASE_ERRORS
from service.db.revisions import Direction, Step, offline_sql, tag_of, unversioned_tables
from service.db.row_counts import count_dropped
from service.db.schema_migration import MigrationStepFailed, migrate_argilla_schema
from service.db.urls import dialect_of
from service.ops.context import Resources
from service.ops.history_schema import ensure_history_schema
from service.ops.migration_lock import HOLDING, MIGRATION_LOCK, MIGRATION_RESOURCE, conflict
from service.ops.recording import Recorder, final_record, recorded
from service.ops.results import (
    DroppedColumn,
    DroppedTable,
    MigrateRequest,
    MigrateResult,
    MigrationPlan,
    PlannedStep,
    StepProgress,
)
from service.ops.revisions import database_heads

READ_ERRORS: tuple[type[Exception], ...] = (MaintenanceError, *DATABASE_ERRORS)

Started = Callable[[str], None]
Progress = Callable[[StepProgress], None]


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
    warnings = [] if heads else await _unmanaged_warnings(resources)
    return MigrationPlan(from_revision=current, to_revision=target, direction=direction, steps=planned, warnings=warnings)


async def _unmanaged_warnings(resources: Resources) -> list[str]:
    tables = await unversioned_tables(resources.engine)
    if not tables:
        return []
    shown = ", ".join(tables[:10]) + (f" and {len(tables) - 10} more" if len(tables) > 10 else "")
    return [
        f"the database has {len(tables)} table(s) ({shown}) but no alembic_version: it was not created by "
        "Argilla's migrations (another application's database?); a migration would be refused: point "
        "ARGILLA_DATABASE_URL at Argilla's database, or stamp its revision first if it really is Argilla's"
    ]


def _refuse_unmanaged(plan: MigrationPlan) -> None:
    if plan.warnings and plan.from_revision is None:
        raise UnmanagedDatabase(plan.warnings[0].replace("; a migration would be refused:", "; refused before any step:"))


async def _describe(resources: Resources, step: Step) -> PlannedStep:
    table_rows: list[int] = []
    column_values: list[int] = []
    if step.drops.tables or step.drops.columns:
        table_rows, column_values = await count_dropped(resources.engine, step.drops.tables, step.drops.columns)
    tables = [DroppedTable(name, rows) for name, rows in zip(step.drops.tables, table_rows, strict=True)]
    columns = [
        DroppedColumn(table, column, values)
        for (table, column), values in zip(_split(step.drops.columns), column_values, strict=True)
    ]
    return PlannedStep(
        step.revision, step.down_revision, step.message, step.direction, tag_of(step.revision), tables, columns, step.drops.rows
    )


def _split(qualified_columns: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(table, column) for table, column in (name.split(".", 1) for name in qualified_columns)]


async def migrate(
    resources: Resources,
    actor: str,
    request: MigrateRequest,
    *,
    lock_timeout: float | None = None,
    operation_id: str | None = None,
    on_started: Started | None = None,
    on_progress: Progress | None = None,
) -> MigrateResult:
    """Migrate to ``request.revision``, recorded in history.

    ``on_started`` fires once the locks are held and the plan is accepted (a refusal raises before it);
    ``on_progress`` gets a ``StepProgress`` as each step starts and ends.
    """
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
        plan, sql = await _migrate(
            resources, recorder, request, timeout, on_started or (lambda _id: None), on_progress or (lambda _event: None)
        )
    return MigrateResult(await final_record(resources, recorder.id), plan, request.dry_run, sql)


async def _migrate(
    resources: Resources, recorder: Recorder, request: MigrateRequest, timeout: float, on_started: Started, on_progress: Progress
) -> tuple[MigrationPlan, str | None]:
    resources.chain.resolve(request.revision)  # an unknown target is refused at once, before waiting for any lock
    # Planning reads the schema (row counts of what a downgrade drops): only under the locks, or a running
    # migration could drop a table between the read of the revision and the count.
    async with _process_lock(resources, recorder, timeout), _database_lock(resources, recorder, timeout):
        plan = await plan_migration(resources, request)
        recorder.from_revision, recorder.to_revision = plan.from_revision, plan.to_revision
        await recorder.flush()  # before a SQLite run pauses history writes: recovery needs from/to
        if request.dry_run:
            recorder.accept(on_started)
            sql = _dry_run_sql(resources, plan)
            recorder.result = {"dry_run": True, "plan": msgspec.to_builtins(plan), "sql": sql}
            return plan, sql
        _refuse_unmanaged(plan)
        _refuse_unallowed_downgrade(plan, request)
        recorder.accept(on_started)
        if plan.steps:
            try:
                await _apply(resources, recorder, plan, on_progress)
            except BaseException:
                await asyncio.shield(_note_if_committed(resources, recorder, plan))
                raise
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


async def _apply(resources: Resources, recorder: Recorder, plan: MigrationPlan, on_progress: Progress) -> None:
    direction: Direction = "downgrade" if plan.direction == "downgrade" else "upgrade"
    loop = asyncio.get_running_loop()
    began = loop.time()
    flushes: set[asyncio.Task[None]] = set()

    def report(event: StepProgress) -> None:
        recorder.progress = {"phase": HOLDING, **msgspec.to_builtins(event)}
        on_progress(event)
        # Called from inside Alembic's run (sync, on the loop's thread): the write happens at its next await.
        task = loop.create_task(recorder.flush())
        flushes.add(task)
        task.add_done_callback(flushes.discard)

    def event(kind: Literal["started", "finished"], index: int, seconds: float | None = None) -> StepProgress:
        step = plan.steps[index]
        return StepProgress(
            kind,
            index + 1,
            len(plan.steps),
            step.revision,
            step.direction,
            step.message,
            step.tag,
            seconds,
            round(loop.time() - began, 6),
        )

    def on_step(revision: str, step_direction: Direction, seconds: float) -> None:
        recorder.steps.append({"revision": revision, "direction": step_direction, "seconds": round(seconds, 6)})
        done = len(recorder.steps)
        report(event("finished", done - 1, round(seconds, 6)))
        if done < len(plan.steps):
            report(event("started", done))

    # SQLite: the run holds the database's write lock, so history writes wait until it ends (GET shows the
    # live progress from memory meanwhile, see ops.operations).
    recorder.paused = dialect_of(resources.settings.database_url) == "sqlite"
    report(event("started", 0))
    try:
        await migrate_argilla_schema(resources.settings, direction, plan.to_revision, on_step)
    except MigrationStepFailed as exc:
        failed = _failed_step(plan, len(recorder.steps))
        raise MigrationFailed(
            f"step {failed} failed: the database said: {exc.database_message} ({exc.error_type}); "
            f"the run was rolled back and the database is still at {plan.from_revision or '<base>'}",
            failed_revision=failed,
            database_message=exc.database_message,
            error_type=exc.error_type,
        ) from exc
    finally:
        recorder.paused = False
        await asyncio.gather(*flushes, return_exceptions=True)


def is_at(heads: tuple[str, ...], revision: str | None) -> bool:
    """Whether the database's heads are exactly ``revision`` (``base``/None: no revision at all)."""
    return list(heads) == ([] if revision in (None, "base") else [revision])


async def _note_if_committed(resources: Resources, recorder: Recorder, plan: MigrationPlan) -> None:
    """A stop or a lost connection during COMMIT may come after the database committed: ask it."""
    try:
        heads = await database_heads(resources)
    except READ_ERRORS:
        return
    if is_at(heads, plan.to_revision):
        recorder.committed = f"stopped after the migration committed: the database is at {plan.to_revision}"


def _failed_step(plan: MigrationPlan, done: int) -> str:
    return plan.steps[done].revision if done < len(plan.steps) else plan.to_revision

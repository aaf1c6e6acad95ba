"""Operations whose process is gone: found by every entry point before it works, recorded as what is true.

A holder on this host whose process is dead (core.holders) is settled at once; a holder we cannot
check (another host, an older row format) is settled once its heartbeat has been silent for
``stale_after`` seconds, unless it still holds an unexpired lock row. A migration is settled with
what the database says: at its target it is ``succeeded`` (it committed, then its process died);
otherwise ``interrupted``, naming the revision the database is at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from service.core import holders
from service.core.errors import DatabaseUnavailable, MaintenanceError
from service.core.operation_record import Status
from service.db import history, locks
from service.db.engine import DATABASE_ERRORS
from service.db.history import StoredOperation
from service.ops.context import Resources
from service.ops.migrate import is_at
from service.ops.migration_lock import MIGRATION_LOCK
from service.ops.revisions import database_heads

RECOVERY_ERRORS: tuple[type[Exception], ...] = (MaintenanceError, *DATABASE_ERRORS)

log = structlog.get_logger("service.recovery")


async def recover(resources: Resources, *, exclude: tuple[str, ...] = ()) -> list[str]:
    """Settle the active operations of processes that are gone (never ours, never ``exclude``); their ids.

    A failure to read or write is logged and ends the pass: recovery never stops an entry point.
    """
    try:
        return await _recover(resources, exclude)
    except DatabaseUnavailable as exc:
        # The entry point's own work meets the same outage and reports it (one error line, 503, /readyz).
        log.debug("recovery of abandoned operations skipped: database unavailable", error_type=type(exc).__name__)
        return []
    except RECOVERY_ERRORS as exc:
        log.warning("recovery of abandoned operations failed", error_type=type(exc).__name__)
        return []


async def _recover(resources: Resources, exclude: tuple[str, ...]) -> list[str]:
    engine, settings = resources.engine, resources.settings
    active = [op for op in await history.active_stored(engine) if op.holder != resources.holder and op.record.id not in exclude]
    if not active:
        return []
    held = {op for _holder, op in await locks.holders(engine, MIGRATION_LOCK) if op}
    stale_before = history.utcnow() - timedelta(seconds=settings.stale_after)
    settled: list[str] = []
    for stored in active:
        reason = _abandoned(stored, held, stale_before)
        if reason is None:
            continue
        others = [op for op in active if op is not stored and _abandoned(op, held, stale_before) is None]
        status, error, result = await _outcome(resources, stored, reason, others)
        if await history.settle(engine, stored.record.id, status=status, error=error, result=result):
            settled.append(stored.record.id)
            log.warning(
                "settled an abandoned operation",
                operation_id=stored.record.id,
                kind=stored.record.kind,
                outcome=status,
                holder=holders.describe(stored.holder),
            )
    return settled


def _abandoned(stored: StoredOperation, held: set[str], stale_before: Any) -> str | None:
    """Why nobody runs ``stored`` any more, or None when its process may still be running it."""
    holder = holders.Holder.parse(stored.holder)
    state = holders.liveness(holder)
    if state == "dead":
        assert holder is not None
        return f"the process running it ({holder.describe()}) is gone: it was killed or crashed before recording an outcome"
    if state == "alive" or stored.record.id in held:
        return None
    beat = stored.record.heartbeat_at or stored.record.created_at
    if beat.replace(tzinfo=None) >= stale_before:
        return None
    return (
        f"no heartbeat from {holders.describe(stored.holder)} since {beat.strftime('%Y-%m-%dT%H:%M:%SZ')}: "
        "its process stopped, or lost the database, before recording an outcome"
    )


async def _outcome(
    resources: Resources, stored: StoredOperation, reason: str, others: list[StoredOperation]
) -> tuple[Status, dict[str, Any] | None, dict[str, Any] | None]:
    op = stored.record
    error = {"type": "interrupted", "title": "Operation interrupted", "detail": reason}
    if op.kind != "migrate":
        return "interrupted", error, None
    heads = await database_heads(resources)
    at = ", ".join(heads) or "<base>"
    dry_run = bool(op.parameters.get("dry_run"))
    migrating = any(other.record.kind == "migrate" for other in others)
    moved = op.to_revision is not None and op.from_revision != op.to_revision
    if not dry_run and moved and not migrating and is_at(heads, op.to_revision):
        detail = f"{reason}; the migration had committed: the database is at {at}"
        return "succeeded", None, {"dry_run": False, "recovered": True, "detail": detail, "database_revision": at}
    if op.to_revision is not None and is_at(heads, op.from_revision):
        error["detail"] = f"{reason}; nothing was applied: the database is still at {at}"
    else:
        error["detail"] = f"{reason}; the database is at {at}"
    error["database_revision"] = at
    return "interrupted", error, None


async def describe_stop(resources: Resources) -> str:
    """What a stop (SIGTERM, Ctrl-C) left behind: the last operation this process started and the database's revision."""
    try:
        heads = await database_heads(resources)
        op = await history.get(resources.engine, resources.started[-1]) if resources.started else None
    except RECOVERY_ERRORS:
        return "stopped; the database could not be read to tell what was left (run `argilla-maint operations list`)"
    at = ", ".join(heads) or "<base>"
    if op is None:
        return f"stopped before any operation started; nothing was changed (the database is at {at})"
    done = f"operation {op.id} ({op.kind}) is recorded {op.status}"
    if op.kind != "migrate":
        return f"{done}; rerun it to finish (it resumes from its last checkpoint)"
    if op.parameters.get("dry_run"):
        return f"{done}; it was a dry run: nothing was changed (the database is at {at})"
    if op.to_revision is not None and is_at(heads, op.to_revision) and op.from_revision != op.to_revision:
        return f"{done}; the migration had committed: the database is at {at}"
    return f"{done}; the migration was rolled back: the database is still at {at}"

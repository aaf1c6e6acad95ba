"""The database-wide migration lock: its name, what it guards, and the conflict a refused contender is told."""

from __future__ import annotations

from service.core.errors import OperationConflict
from service.db import history, locks
from service.ops.context import Resources

MIGRATION_LOCK = "migration"
MIGRATION_RESOURCE = "database"
# The phase a migrate records once it holds the lock, so a refusal names the holder (not another contender).
HOLDING = "holding the migration lock"


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

"""Our own history and lock tables: brought to their head once a process, before any operation touches them."""

from __future__ import annotations

from service.db.schema_migration import history_tables_current, upgrade_history_tables
from service.ops.context import Resources


async def ensure_history_schema(resources: Resources) -> None:
    """Create or update the history and lock tables (their own Alembic track, serialised), once a process."""
    if resources.history_ready:
        return
    async with resources.alembic_lock:
        if not resources.history_ready and not await history_tables_current(resources.settings, resources.engine):
            await upgrade_history_tables(resources.settings)
    resources.history_ready = True

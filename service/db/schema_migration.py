"""Running Alembic on an engine of its own: Argilla's chain, and our own tables' track.

Argilla's chain runs in one transaction (on SQLite, checked for new foreign-key violations before it
commits); our history and lock tables are brought to their head under a database-wide lock.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from service.core.config import Settings
from service.core.errors import DatabaseError, IntegrityCheckFailed, MaintenanceError
from service.db.engine import create_migration_engine
from service.db.errors import DATABASE_FAILURES, translate, translate_errors
from service.db.locks import advisory_key
from service.db.revisions import (
    MAINTENANCE_VERSION_TABLE,
    Direction,
    StepCallback,
    make_config,
    run,
    stored_heads,
    upgrade_maintenance_track,
)


class MigrationStepFailed(Exception):
    """A step raised a database error; the run was rolled back. Carries the database's message, sanitized."""

    def __init__(self, error_type: str, database_message: str) -> None:
        super().__init__(f"{error_type}: {database_message}")
        self.error_type = error_type
        self.database_message = database_message


async def history_tables_current(settings: Settings, engine: AsyncEngine) -> bool:
    """Whether our tables are already at their track's head: one query on the pooled engine, where an
    upgrade would open an engine of its own, take a lock and start Alembic (most runs find nothing to do)."""
    head = ScriptDirectory.from_config(make_config("maintenance")).get_current_head()
    with translate_errors(settings.database_url):
        return await stored_heads(engine, MAINTENANCE_VERSION_TABLE) == (head,)


async def upgrade_history_tables(settings: Settings) -> None:
    """Create or update our history and lock tables; on PostgreSQL one process at a time (transaction lock)."""
    engine = create_migration_engine(settings)
    try:
        with translate_errors(settings.database_url):
            async with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    await conn.execute(select(func.pg_advisory_xact_lock(advisory_key("schema"))))
                await conn.run_sync(upgrade_maintenance_track)
    finally:
        await engine.dispose()


async def migrate_argilla_schema(settings: Settings, direction: Direction, target: str, on_step: StepCallback) -> None:
    """Run Argilla's chain to ``target`` in one transaction; ``on_step`` gets each applied step's seconds.

    Raises ``DatabaseLocked`` when SQLite's write lock is taken, ``DatabaseUnavailable`` when the server
    went away, ``IntegrityCheckFailed`` for new foreign-key violations (SQLite), ``MigrationStepFailed``
    (with the database's message) for any other database error.
    """
    engine = create_migration_engine(settings)
    sqlite = engine.dialect.name == "sqlite"
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run_checked, direction, target, on_step, sqlite)
    except MaintenanceError:
        raise
    except DATABASE_FAILURES as exc:
        error = translate(exc, settings.database_url)
        if isinstance(error, DatabaseError):
            raise MigrationStepFailed(str(error.extra["error_type"]), str(error.extra["database_message"])) from exc
        raise error from exc
    finally:
        await engine.dispose()


def _run_checked(connection: Connection, direction: Direction, target: str, on_step: StepCallback, sqlite: bool) -> None:
    before = _fk_violations(connection) if sqlite else {}
    run(connection, make_config("argilla"), direction, target, on_step)
    if not sqlite:
        return
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

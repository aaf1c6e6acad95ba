"""Bridge to Alembic: the revision chain, a database's current revision, planning, running and dry-run SQL.

The chain is read from Alembic's objects (``ScriptDirectory``), never from printed output; a database's
revision is one query on its version table. Alembic keeps module-level state, so callers serialise
commands (see ops.migration_lock).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.core.errors import (
    AmbiguousRevision,
    MultipleHeads,
    UnknownDatabaseRevision,
    UnknownRevision,
)
from service.db.errors import UNDEFINED_TABLE, sqlstate_of, translated
from service.db.release_tags import RELEASE_TAGS, REVISION_TAGS

Direction = Literal["upgrade", "downgrade"]
ARGILLA_VERSION_TABLE = "alembic_version"
MAINTENANCE_VERSION_TABLE = "maint_alembic_version"
MIN_PREFIX = 2


def migrations_root() -> Path:
    """Folder of the ``migrations`` package (Argilla's track; ours lives in ``maintenance/`` inside)."""
    return Path(str(files("migrations")))


def make_config(track: Literal["argilla", "maintenance"] = "argilla", *, output_buffer: io.StringIO | None = None) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini, no working-directory assumptions)."""
    root = migrations_root()
    config = Config(output_buffer=output_buffer)
    location = root if track == "argilla" else root / "maintenance"
    config.set_main_option("script_location", str(location))
    config.attributes["version_table"] = ARGILLA_VERSION_TABLE if track == "argilla" else MAINTENANCE_VERSION_TABLE
    return config


@dataclass(frozen=True)
class Drops:
    """What a downgrade step destroys, as declared by its revision module."""

    tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: str = ""


@dataclass(frozen=True)
class Step:
    """One revision applied in one direction."""

    revision: str
    down_revision: str | None
    message: str
    direction: Direction
    drops: Drops = field(default_factory=Drops)


class Chain:
    """Argilla's revision chain as loaded from migrations/versions."""

    def __init__(self, script: ScriptDirectory) -> None:
        self.script = script
        self._by_id: dict[str, Script] = {s.revision: s for s in script.walk_revisions()}

    @classmethod
    def load(cls) -> Chain:
        return cls(ScriptDirectory.from_config(make_config("argilla")))

    def newest_first(self) -> list[Script]:
        return list(self.script.walk_revisions())

    def heads(self) -> tuple[str, ...]:
        return tuple(self.script.get_heads())

    def head(self) -> str:
        heads = self.heads()
        if len(heads) != 1:
            raise MultipleHeads(
                f"the chain has {len(heads)} heads ({', '.join(heads)}); name one revision explicitly",
                heads=list(heads),
            )
        return heads[0]

    def get(self, revision: str) -> Script:
        return self._by_id[revision]

    def knows(self, revision: str) -> bool:
        return revision in self._by_id

    def resolve(self, target: str) -> str:
        """Map ``head``, ``base``, a release tag, a revision id or a unique id prefix to an id (or ``base``)."""
        value = target.strip()
        if value == "head":
            return self.head()
        if value == "base":
            return "base"
        if value in RELEASE_TAGS:
            return RELEASE_TAGS[value]
        if value in self._by_id:
            return value
        accepted = self._accepted()
        if len(value) >= MIN_PREFIX and all(c in "0123456789abcdef" for c in value.lower()):
            matches = sorted(rev for rev in self._by_id if rev.startswith(value.lower()))
            if len(matches) > 1:
                raise AmbiguousRevision(
                    f"revision prefix {value!r} matches {len(matches)} revisions ({', '.join(matches)}); give more characters",
                    candidates=matches,
                )
            if matches:
                return matches[0]
        raise UnknownRevision(
            f"unknown revision or release tag {value!r}; accepted: {accepted}", accepted_tags=list(RELEASE_TAGS)
        )

    def _accepted(self) -> str:
        return (
            f"head, base, a release tag ({', '.join(RELEASE_TAGS)}), "
            f"or a revision id or unique prefix of at least {MIN_PREFIX} characters"
        )

    def lineage(self, revision: str | None) -> list[str]:
        """``revision`` and its ancestors, newest first (empty for base / an empty database)."""
        out: list[str] = []
        current = revision
        while current is not None and current != "base":
            out.append(current)
            parent = self._by_id[current].down_revision
            current = parent if isinstance(parent, str) or parent is None else parent[0]
        return out

    def plan(self, current: str | None, target: str) -> list[Step]:
        """Steps that take a database at ``current`` (None = empty) to ``target`` (an id or ``base``)."""
        if current is not None and current not in self._by_id:
            raise UnknownDatabaseRevision(
                f"the database is at revision {current!r}, which this tool does not know; "
                "it was probably migrated by a newer or forked Argilla",
                database_revision=current,
            )
        target_line = self.lineage(None if target == "base" else target)
        if current is None or current in target_line:
            stop = target_line.index(current) if current is not None else len(target_line)
            return [self._step(rev, "upgrade") for rev in reversed(target_line[:stop])]
        current_line = self.lineage(current)
        stop = len(current_line) if target == "base" else current_line.index(target)
        return [self._step(rev, "downgrade") for rev in current_line[:stop]]

    def _step(self, revision: str, direction: Direction) -> Step:
        script = self._by_id[revision]
        drops = Drops()
        if direction == "downgrade":
            declared: dict[str, Any] = getattr(script.module, "DOWNGRADE_DROPS", {}) or {}
            drops = Drops(tuple(declared.get("tables", ())), tuple(declared.get("columns", ())), str(declared.get("rows", "")))
        parent = script.down_revision
        return Step(
            revision, parent if isinstance(parent, str) or parent is None else parent[0], message_of(script), direction, drops
        )


def message_of(script: Script) -> str:
    return (script.doc or "").strip()


def tag_of(revision: str) -> str | None:
    return REVISION_TAGS.get(revision)


@translated
async def unversioned_tables(engine: AsyncEngine, version_table: str = ARGILLA_VERSION_TABLE) -> list[str]:
    """Tables of a database that has no ``version_table`` (ours, ``maint_*``, excluded); empty when it has one."""
    async with engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    if version_table in names:
        return []
    return sorted(name for name in names if not name.startswith("maint_") and not name.startswith("sqlite_"))


@translated
async def stored_heads(engine: AsyncEngine, version_table: str = ARGILLA_VERSION_TABLE) -> tuple[str, ...]:
    """The revision(s) in the database's version table (empty for a fresh database), on a connection of its own.

    On PostgreSQL the statement runs in autocommit: a lone read needs no BEGIN and ROLLBACK round trips
    (the request path). SQLite's driver opens no transaction for a SELECT anyway.
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return await read_version_table(conn, version_table)


async def read_version_table(conn: AsyncConnection, version_table: str = ARGILLA_VERSION_TABLE) -> tuple[str, ...]:
    """The revision(s) stored in ``version_table`` (empty when it does not exist), in one statement on PostgreSQL.

    A missing table is recognised by its SQLSTATE (42P01) on PostgreSQL; SQLite has no code of its own for
    it, so there the (local, cheap) catalog is asked first.
    """
    if conn.dialect.name == "sqlite":
        if not await conn.run_sync(lambda sync: sa.inspect(sync).has_table(version_table)):
            return ()
        result = await conn.exec_driver_sql(f"SELECT version_num FROM {version_table}")
        return tuple(sorted(str(row[0]) for row in result))
    try:
        result = await conn.exec_driver_sql(f"SELECT version_num FROM {version_table}")
    except ProgrammingError as exc:
        if sqlstate_of(exc) != UNDEFINED_TABLE:
            raise
        await conn.rollback()
        return ()
    return tuple(sorted(str(row[0]) for row in result))


StepCallback = Callable[[str, Direction, float], None]


def run(connection: Connection, config: Config, direction: Direction, target: str, on_step: StepCallback) -> None:
    """Run ``alembic upgrade|downgrade target`` on ``connection``; ``on_step`` gets each step's seconds."""
    last = time.perf_counter()

    def applied(*, step: Any, **_context: Any) -> None:  # Alembic also passes ctx, heads and run_args
        nonlocal last
        now = time.perf_counter()
        # For a downgrade step too, up_revision_id is the revision being removed.
        on_step(str(step.up_revision_id), direction, now - last)
        last = now

    config.attributes["connection"] = connection
    config.attributes["on_version_apply"] = applied
    if direction == "upgrade":
        command.upgrade(config, target)
    else:
        command.downgrade(config, target)


def offline_sql(dialect: str, current: str | None, target: str, direction: Direction) -> str:
    """The SQL Alembic would run from ``current`` to ``target``, rendered in offline mode for ``dialect``."""
    buffer = io.StringIO()
    config = make_config("argilla", output_buffer=buffer)
    config.attributes["dialect_name"] = dialect
    span = f"{current}:{target}" if current else target
    if direction == "upgrade":
        command.upgrade(config, span, sql=True)
    else:
        command.downgrade(config, span, sql=True)
    return buffer.getvalue()


def upgrade_maintenance_track(connection: Connection) -> None:
    """Create or update our own tables (history, locks) in their own version table."""
    config = make_config("maintenance")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")

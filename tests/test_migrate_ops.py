"""The migrate/revisions/history operations on real PostgreSQL and SQLite, through service.ops."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa

from service.core.config import Settings, load_settings
from service.core.errors import (
    AmbiguousRevision,
    DatabaseUnavailable,
    DowngradeNotAllowed,
    MultipleHeads,
    UnknownDatabaseRevision,
    UnknownRevision,
)
from service.db.release_tags import RELEASE_TAGS
from service.ops.context import Resources
from service.ops.migrate import migrate
from service.ops.operations import list_operations
from service.ops.results import MigrateRequest
from service.ops.revisions import list_revisions
from service.runtime import open_resources

HEAD = "580a6553186f"
pytestmark = pytest.mark.asyncio


def settings_for(url: str, tmp_path: Path) -> Settings:
    return load_settings({"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": str(tmp_path)})


@pytest_asyncio.fixture
async def resources(database_url: str, tmp_path: Path) -> AsyncIterator[Resources]:
    async with open_resources(settings_for(database_url, tmp_path)) as res:
        yield res


def sync_engine(res: Resources) -> sa.Engine:
    url = sa.make_url(res.settings.database_url)
    driver = "postgresql+psycopg2" if url.get_backend_name() == "postgresql" else "sqlite"
    return sa.create_engine(url.set(drivername=driver), poolclass=sa.pool.NullPool)


def version_of(res: Resources) -> list[str]:
    with sync_engine(res).connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return []
        return [r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]


async def test_upgrade_to_head_records_every_step(resources: Resources) -> None:
    """An empty database migrated to head ends at head, with a succeeded history row and 24 timed steps."""
    result = await migrate(resources, "tester", MigrateRequest())
    assert version_of(resources) == [HEAD]
    op = result.operation
    assert (op.status, op.kind, op.actor, op.from_revision, op.to_revision) == ("succeeded", "migrate", "tester", None, HEAD)
    assert op.steps is not None and len(op.steps) == 24
    assert all(step["direction"] == "upgrade" and step["seconds"] >= 0 for step in op.steps)
    assert op.finished_at is not None and op.started_at is not None and op.duration_seconds is not None
    listed = await list_revisions(resources)
    assert [c.revision for c in listed.current] == [HEAD] and listed.current[0].is_head


async def test_release_tag_and_prefix_targets(resources: Resources) -> None:
    """Tags and unique prefixes resolve to Argilla's revisions; a second migrate to the same target is a no-op."""
    await migrate(resources, "t", MigrateRequest(revision="1.13"))
    assert version_of(resources) == [RELEASE_TAGS["1.13"]]
    await migrate(resources, "t", MigrateRequest(revision="237f7c"))
    assert version_of(resources) == ["237f7c674d74"]
    again = await migrate(resources, "t", MigrateRequest(revision="2.0"))
    assert again.plan.direction == "none" and again.plan.steps == [] and again.operation.status == "succeeded"


async def test_unknown_and_ambiguous_targets_are_refused(resources: Resources) -> None:
    """Unknown names list the accepted tags; an ambiguous prefix lists its candidates; nothing is migrated."""
    with pytest.raises(UnknownRevision) as unknown:
        await migrate(resources, "t", MigrateRequest(revision="1.13.0"))
    assert "1.13" in unknown.value.detail and unknown.value.extra["accepted_tags"] == list(RELEASE_TAGS)
    with pytest.raises(AmbiguousRevision) as ambiguous:
        await migrate(resources, "t", MigrateRequest(revision="3f"))
    assert ambiguous.value.extra["candidates"] == ["3fc3c0839959", "3ff6484f8b37"]
    assert version_of(resources) == []
    page = await list_operations(resources)
    assert page.items == []  # refusals did no work: not kept in history


async def test_downgrade_refused_without_flag_carries_the_plan(resources: Resources) -> None:
    """A downgrade needs allow_downgrade; the refusal names each step and what it drops, with row counts."""
    await migrate(resources, "t", MigrateRequest())
    with sync_engine(resources).begin() as conn:
        now = datetime(2024, 1, 1)
        for n in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO webhooks (id, url, secret, events, enabled, inserted_at, updated_at) "
                    "VALUES (:id, :url, 's', '[]', true, :now, :now)"
                ),
                {
                    "id": uuid.uuid4().hex if resources.engine.dialect.name == "sqlite" else str(uuid.uuid4()),
                    "url": f"http://h/{n}",
                    "now": now,
                },
            )
    with pytest.raises(DowngradeNotAllowed) as refused:
        await migrate(resources, "t", MigrateRequest(revision="2.4"))
    plan = refused.value.extra["plan"]
    assert [s["revision"] for s in plan["steps"]] == ["580a6553186f", "6ed1b8bf8e08"]
    webhooks = plan["steps"][1]["dropped_tables"]
    assert webhooks == [{"table": "webhooks", "rows": 3}]
    assert version_of(resources) == [HEAD]
    done = await migrate(resources, "t", MigrateRequest(revision="2.4", allow_downgrade=True))
    assert done.operation.status == "succeeded" and version_of(resources) == ["660d6c6b3360"]
    assert [s["direction"] for s in done.operation.steps or []] == ["downgrade", "downgrade"]


async def test_dry_run_changes_nothing_and_returns_sql(resources: Resources) -> None:
    """A dry run returns the plan and the SQL of every step, and leaves schema and version untouched."""
    await migrate(resources, "t", MigrateRequest(revision="1.13"))
    with sync_engine(resources).connect() as conn:
        tables_before = sorted(sa.inspect(conn).get_table_names())
    result = await migrate(resources, "t", MigrateRequest(dry_run=True))
    assert result.dry_run and result.sql is not None
    assert "CREATE TABLE metadata_properties" in result.sql and "CREATE TABLE datasets_users" in result.sql
    assert len(result.plan.steps) == 12
    assert version_of(resources) == [RELEASE_TAGS["1.13"]]
    with sync_engine(resources).connect() as conn:
        assert sorted(sa.inspect(conn).get_table_names()) == tables_before
    assert result.operation.status == "succeeded" and result.operation.parameters["dry_run"] is True
    down = await migrate(resources, "t", MigrateRequest(revision="base", dry_run=True))
    assert down.plan.direction == "downgrade" and "DROP TABLE users" in (down.sql or "")


async def test_history_survives_downgrade_to_base(resources: Resources) -> None:
    """Our history lives on its own track: a downgrade to base keeps every row and alembic_version is Argilla's alone."""
    await migrate(resources, "t", MigrateRequest())
    await migrate(resources, "t", MigrateRequest(revision="base", allow_downgrade=True))
    assert version_of(resources) == []
    page = await list_operations(resources)
    assert page.total == 2 and all(op.status == "succeeded" for op in page.items)
    with sync_engine(resources).connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert {"maint_operations", "maint_locks", "maint_alembic_version"} <= names
    assert not (names - {"maint_operations", "maint_locks", "maint_alembic_version", "alembic_version"})


async def test_unreachable_database_masks_password(tmp_path: Path, postgres_server: str) -> None:
    """A database that cannot be reached gives DatabaseUnavailable whose text shows no password."""
    url = sa.make_url(postgres_server).set(port=1, password="s3cr3t-pass").render_as_string(hide_password=False)
    async with open_resources(settings_for(url, tmp_path)) as res:
        with pytest.raises(DatabaseUnavailable) as failed:
            await list_revisions(res)
    assert "s3cr3t-pass" not in str(failed.value.detail) and "***" in failed.value.detail


async def test_sqlite_rows_survive_upgrade_from_1_13(sqlite_url: str, tmp_path: Path) -> None:
    """With FKs on during a batch rebuild Argilla's own run empties child tables; ours keeps every row."""
    async with open_resources(settings_for(sqlite_url, tmp_path)) as res:
        await migrate(res, "t", MigrateRequest(revision="1.13"))
        counts = _seed_1_13(Path(sa.make_url(sqlite_url).database or ""))
        await migrate(res, "t", MigrateRequest())
    db = sqlite3.connect(sa.make_url(sqlite_url).database or "")
    after = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in counts}
    assert after["responses"] == counts["responses"] and after == counts


def _seed_1_13(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys = ON")
    now = "2023-08-01 10:00:00.000000"
    ids = {name: uuid.uuid4().hex for name in ("user", "ws", "ds", "field", "question")}
    db.execute("INSERT INTO users VALUES (?, 'A', NULL, 'alice', 'owner', 'key', 'hash', ?, ?)", (ids["user"], now, now))
    db.execute("INSERT INTO workspaces VALUES (?, 'ws', ?, ?)", (ids["ws"], now, now))
    db.execute("INSERT INTO datasets VALUES (?, 'ds', NULL, 'ready', ?, ?, ?)", (ids["ds"], ids["ws"], now, now))
    db.execute(
        "INSERT INTO fields VALUES (?, 'text', 'Text', 1, '{\"type\": \"text\"}', ?, ?, ?)", (ids["field"], ids["ds"], now, now)
    )
    db.execute(
        "INSERT INTO questions VALUES (?, 'q', 'Q', NULL, 1, '{\"type\": \"rating\"}', ?, ?, ?)",
        (ids["question"], ids["ds"], now, now),
    )
    for n in range(50):
        record = uuid.uuid4().hex
        db.execute('INSERT INTO records VALUES (?, \'{"text": "x"}\', ?, ?, ?, ?, NULL)', (record, f"e{n}", ids["ds"], now, now))
        db.execute(
            "INSERT INTO responses VALUES (?, '{\"q\": {\"value\": 1}}', 'submitted', ?, ?, ?, ?)",
            (uuid.uuid4().hex, record, ids["user"], now, now),
        )
        db.execute(
            "INSERT INTO suggestions VALUES (?, '1', 0.5, 'a', 'model', ?, ?, ?, ?)",
            (uuid.uuid4().hex, record, ids["question"], now, now),
        )
    db.commit()
    counts = {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("users", "workspaces", "datasets", "fields", "questions", "records", "responses", "suggestions")
    }
    db.close()
    return counts


async def test_several_heads_in_the_database_are_refused(resources: Resources) -> None:
    """A database whose alembic_version holds two rows is not guessed at: MultipleHeads names both."""
    await migrate(resources, "t", MigrateRequest(revision="2.0"))
    with sync_engine(resources).begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('1e629a913727')"))
    with pytest.raises(MultipleHeads) as several:
        await migrate(resources, "t", MigrateRequest())
    assert set(several.value.extra["heads"]) == {"237f7c674d74", "1e629a913727"}
    assert "merge or stamp" in several.value.detail


async def test_database_at_an_unknown_revision_is_refused(resources: Resources) -> None:
    """A database migrated by a newer or forked Argilla (unknown revision) is refused, not downgraded blindly."""
    await migrate(resources, "t", MigrateRequest(revision="2.4"))
    with sync_engine(resources).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '689f4d06e816'"))
    with pytest.raises(UnknownDatabaseRevision) as unknown:
        await migrate(resources, "t", MigrateRequest())
    assert "689f4d06e816" in unknown.value.detail


async def test_busy_lock_names_the_running_operation_or_is_waited_for(resources: Resources) -> None:
    """A migrate meeting a held lock fails fast naming the holder and since when; with a lock timeout it waits."""
    import asyncio

    from service.core.errors import OperationConflict
    from service.db import history, locks
    from service.ops.history_schema import ensure_history_schema
    from service.ops.migration_lock import HOLDING, MIGRATION_LOCK

    await ensure_history_schema(resources)
    holder, _ = await history.create(
        resources.engine,
        kind="migrate",
        actor="other-pod",
        resource="database",
        parameters={},
        holder="elsewhere",
        status="running",
    )
    await history.update(resources.engine, holder.record.id, progress={"phase": HOLDING})
    released = asyncio.Event()

    async def hold_for(seconds: float) -> None:
        async with locks.hold(
            resources.engine, MIGRATION_LOCK, holder="elsewhere", operation_id=holder.record.id, timeout=0, ttl=30
        ):
            released.clear()
            await asyncio.sleep(seconds)
        released.set()

    task = asyncio.create_task(hold_for(1.5))
    await asyncio.sleep(0.3)
    with pytest.raises(OperationConflict) as busy:
        await migrate(resources, "t", MigrateRequest(), lock_timeout=0)
    assert holder.record.id in busy.value.detail and "other-pod" in busy.value.detail and "running since" in busy.value.detail
    assert busy.value.extra["operation_url"] == f"/operations/{holder.record.id}"
    waited = await migrate(resources, "t", MigrateRequest(), lock_timeout=10)
    await task
    assert released.is_set() and waited.operation.status == "succeeded" and version_of(resources) == [HEAD]

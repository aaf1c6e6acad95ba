"""Argilla's Alembic chain driven directly (no service layer): schema per revision, inverses, data, offline SQL."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from service.db.release_tags import RELEASE_TAGS as SERVICE_RELEASE_TAGS
from tests.support.expected_schema import CHAIN, HEAD, RELEASE_TAGS, REVISIONS, empty_schema, expected_schema
from tests.support.schema_snapshot import schema_diff, snapshot

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
TAG = RELEASE_TAGS


def _config(connection: Connection | None = None, **attributes: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    config.attributes.update(attributes)
    return config


def _make_engine(url: str) -> Engine:
    """A sync engine; on SQLite it runs like the service: foreign keys off, a real BEGIN per transaction."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(parsed.set(drivername="postgresql+psycopg2"), poolclass=sa.pool.NullPool)
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below own the transaction
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = _make_engine(database_url)
    yield made
    made.dispose()


def _upgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def _snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        return snapshot(connection)


def _parent(revision: str) -> str:
    index = REVISIONS.index(revision)
    return REVISIONS[index - 1] if index else "base"


def _check(failures: list[str], label: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    failures.extend(f"{label}: {line}" for line in schema_diff(expected, actual))


# --- chain metadata ------------------------------------------------------------------------------


def test_chain_ids_parents_and_messages_match_argilla() -> None:
    """Argilla's own `migrate` and alembic_version stamps break if ids, parents or messages drift."""
    scripts = ScriptDirectory.from_config(_config())
    walked = [(s.revision, s.down_revision, s.doc) for s in reversed(list(scripts.walk_revisions()))]
    assert walked == CHAIN
    assert scripts.get_heads() == [HEAD]
    assert list(RELEASE_TAGS.values()) == [rev for rev in REVISIONS if rev in RELEASE_TAGS.values()]
    assert dict(SERVICE_RELEASE_TAGS) == RELEASE_TAGS


def test_every_revision_declares_what_its_downgrade_drops() -> None:
    """The service's downgrade plan cannot warn about data loss without DOWNGRADE_DROPS in every module."""
    scripts = ScriptDirectory.from_config(_config())
    for script in scripts.walk_revisions():
        drops = script.module.DOWNGRADE_DROPS
        assert set(drops) == {"tables", "columns", "rows"}, script.revision
        assert all("." in column for column in drops["columns"]), script.revision
        assert f"Revision ID: {script.revision}" in (script.module.__doc__ or ""), script.revision
    assert "NULL" in scripts.get_revision("d00f819ccc67").module.UPGRADE_DELETES
    assert scripts.get_revision("7cbcccf8b57a").module.DOWNGRADE_DROPS["tables"] == ["metadata_properties"]
    assert scripts.get_revision("84f6b9ff6076").module.DOWNGRADE_DROPS["columns"] == ["datasets.last_activity_at"]


# --- schema, step by step ------------------------------------------------------------------------


def test_schema_after_each_upgrade_matches_the_facts(engine: Engine) -> None:
    """A column, type, default, key, index or enum label differing from Argilla's at any revision."""
    dialect = engine.dialect.name
    failures: list[str] = []
    for revision in REVISIONS:
        _upgrade(engine, revision)
        _check(failures, f"upgrade to {revision}", expected_schema(revision, dialect), _snapshot(engine))
    assert not failures, "\n".join(failures)


def test_each_downgrade_is_a_true_inverse(engine: Engine) -> None:
    """A downgrade that leaves enum labels, FK names, defaults or indexes behind (Argilla's own misses)."""
    dialect = engine.dialect.name
    failures: list[str] = []
    for revision in REVISIONS:
        before = _snapshot(engine)
        _upgrade(engine, revision)
        _downgrade(engine, "-1")
        _check(failures, f"{revision} up then down", before, _snapshot(engine))
        _upgrade(engine, revision)
    for revision in reversed(REVISIONS):
        _downgrade(engine, "-1")
        _check(failures, f"walk down past {revision}", expected_schema(_parent(revision), dialect), _snapshot(engine))
    assert not failures, "\n".join(failures)
    assert _snapshot(engine) == empty_schema(dialect)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar_one() == 0


# --- data migrations -----------------------------------------------------------------------------

T0 = datetime(2023, 6, 1, 12, 0, 0)


def _table(name: str, *columns: tuple[str, sa.types.TypeEngine[Any]]) -> sa.TableClause:
    return sa.table(name, *(sa.column(column, type_) for column, type_ in columns))


def _stamp(i: int) -> dict[str, datetime]:
    return {"inserted_at": T0 + timedelta(minutes=i), "updated_at": T0 + timedelta(minutes=i, seconds=30)}


TS = (("inserted_at", sa.DateTime()), ("updated_at", sa.DateTime()))
USERS = _table(
    "users",
    ("id", sa.Uuid()),
    ("first_name", sa.String()),
    ("username", sa.String()),
    ("role", sa.String()),
    ("api_key", sa.Text()),
    ("password_hash", sa.Text()),
    *TS,
)
WORKSPACES = _table("workspaces", ("id", sa.Uuid()), ("name", sa.String()), *TS)
DATASETS = _table("datasets", ("id", sa.Uuid()), ("name", sa.String()), ("status", sa.String()), ("workspace_id", sa.Uuid()), *TS)
FIELDS = _table(
    "fields",
    ("id", sa.Uuid()),
    ("name", sa.String()),
    ("title", sa.Text()),
    ("settings", sa.JSON()),
    ("dataset_id", sa.Uuid()),
    *TS,
)
QUESTIONS = _table(
    "questions",
    ("id", sa.Uuid()),
    ("name", sa.String()),
    ("title", sa.Text()),
    ("settings", sa.JSON()),
    ("dataset_id", sa.Uuid()),
    *TS,
)
RECORDS = _table(
    "records",
    ("id", sa.Uuid()),
    ("fields", sa.JSON()),
    ("external_id", sa.String()),
    ("dataset_id", sa.Uuid()),
    ("metadata", sa.JSON()),
    *TS,
)
RESPONSES = _table(
    "responses",
    ("id", sa.Uuid()),
    ("values", sa.JSON()),
    ("status", sa.String()),
    ("record_id", sa.Uuid()),
    ("user_id", sa.Uuid()),
    *TS,
)
SUGGESTION_COLUMNS = (("agent", sa.String()), ("type", sa.String()), ("record_id", sa.Uuid()), ("question_id", sa.Uuid()), *TS)
SUGGESTIONS = _table("suggestions", ("id", sa.Uuid()), ("value", sa.JSON()), ("score", sa.Float()), *SUGGESTION_COLUMNS)
SUGGESTIONS_2X = _table("suggestions", ("id", sa.Uuid()), ("value", sa.JSON()), ("score", sa.JSON()), *SUGGESTION_COLUMNS)


class Seed:
    """Ids of the rows written at 1.11 (and the suggestions written at 1.18)."""

    def __init__(self) -> None:
        self.u1, self.u2, self.gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.ws = uuid.uuid4()
        self.d1, self.d2 = uuid.uuid4(), uuid.uuid4()
        self.q1, self.q2 = uuid.uuid4(), uuid.uuid4()
        self.r1, self.r2, self.r3, self.r4 = (uuid.uuid4() for _ in range(4))
        self.resp_submitted, self.resp_draft, self.resp_discarded, self.resp_orphan = (uuid.uuid4() for _ in range(4))
        self.s_float, self.s_list, self.s_integer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.s_json_int, self.s_json_list = uuid.uuid4(), uuid.uuid4()


def _seed_1_11(connection: Connection, s: Seed) -> None:
    user = {"role": "annotator", "password_hash": "x"}
    connection.execute(
        sa.insert(USERS),
        [
            {"id": s.u1, "first_name": "A", "username": "a", "api_key": "ka", **user, **_stamp(0)},
            {"id": s.u2, "first_name": "B", "username": "b", "api_key": "kb", **user, **_stamp(1)},
            {"id": s.gone, "first_name": "C", "username": "c", "api_key": "kc", **user, **_stamp(2)},
        ],
    )
    connection.execute(sa.insert(WORKSPACES), [{"id": s.ws, "name": "ws", **_stamp(0)}])
    connection.execute(
        sa.insert(DATASETS),
        [
            {"id": s.d1, "name": "one", "status": "ready", "workspace_id": s.ws, **_stamp(3)},
            {"id": s.d2, "name": "two", "status": "draft", "workspace_id": s.ws, **_stamp(4)},
        ],
    )
    connection.execute(
        sa.insert(FIELDS),
        [
            {"id": uuid.uuid4(), "name": "text", "title": "Text", "settings": {"type": "text"}, "dataset_id": d, **_stamp(5)}
            for d in (s.d1, s.d2)
        ],
    )
    connection.execute(
        sa.insert(QUESTIONS),
        [
            {
                "id": s.q1,
                "name": "label",
                "title": "Label",
                "settings": {"type": "label_selection"},
                "dataset_id": s.d1,
                **_stamp(6),
            },
            {
                "id": s.q2,
                "name": "label",
                "title": "Label",
                "settings": {"type": "label_selection"},
                "dataset_id": s.d2,
                **_stamp(6),
            },
        ],
    )
    connection.execute(
        sa.insert(RECORDS),
        [
            {"id": s.r1, "fields": {"text": "1"}, "external_id": "e1", "dataset_id": s.d1, "metadata": {"k": 1}, **_stamp(7)},
            {"id": s.r2, "fields": {"text": "2"}, "external_id": None, "dataset_id": s.d1, "metadata": None, **_stamp(8)},
            {"id": s.r3, "fields": {"text": "3"}, "external_id": None, "dataset_id": s.d2, "metadata": {"k": 3}, **_stamp(9)},
            {"id": s.r4, "fields": {"text": "4"}, "external_id": "e4", "dataset_id": s.d2, "metadata": None, **_stamp(10)},
        ],
    )
    answer = {"label": {"value": "yes"}}
    connection.execute(
        sa.insert(RESPONSES),
        [
            {"id": s.resp_submitted, "values": answer, "status": "submitted", "record_id": s.r1, "user_id": s.u1, **_stamp(11)},
            {"id": s.resp_draft, "values": answer, "status": "draft", "record_id": s.r2, "user_id": s.u2, **_stamp(12)},
            {"id": s.resp_discarded, "values": None, "status": "discarded", "record_id": s.r3, "user_id": s.u1, **_stamp(13)},
            # Its user was deleted (ON DELETE SET NULL at this revision): d00f819ccc67 deletes it.
            {"id": s.resp_orphan, "values": answer, "status": "submitted", "record_id": s.r4, "user_id": None, **_stamp(14)},
        ],
    )


def _seed_suggestions(connection: Connection, s: Seed) -> None:
    connection.execute(
        sa.insert(SUGGESTIONS),
        [
            {
                "id": s.s_float,
                "value": "yes",
                "score": 0.75,
                "agent": "m",
                "type": "model",
                "record_id": s.r1,
                "question_id": s.q1,
                **_stamp(15),
            },
            {
                "id": s.s_list,
                "value": ["yes", "no"],
                "score": 0.5,
                "agent": "m",
                "type": "model",
                "record_id": s.r2,
                "question_id": s.q1,
                **_stamp(16),
            },
            {
                "id": s.s_integer,
                "value": "no",
                "score": 1.0,
                "agent": None,
                "type": None,
                "record_id": s.r3,
                "question_id": s.q2,
                **_stamp(17),
            },
        ],
    )


def _seed_2x_suggestions(connection: Connection, s: Seed) -> None:
    """Scores as Argilla 2.x writes them: an integer, and a list for a multi-label value."""
    connection.execute(
        sa.insert(SUGGESTIONS_2X),
        [
            {
                "id": s.s_json_int,
                "value": "yes",
                "score": 1,
                "agent": None,
                "type": "human",
                "record_id": s.r4,
                "question_id": s.q2,
                **_stamp(18),
            },
            {
                "id": s.s_json_list,
                "value": ["yes", "no"],
                "score": [0.25, 0.75],
                "agent": None,
                "type": "model",
                "record_id": s.r1,
                "question_id": s.q2,
                **_stamp(19),
            },
        ],
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _rows(connection: Connection, sql: str) -> list[Any]:
    return list(connection.execute(sa.text(sql)).all())


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


COUNTS = ("users", "workspaces", "datasets", "fields", "questions", "records", "suggestions")


def _counts(connection: Connection, tables: tuple[str, ...] = COUNTS) -> dict[str, int]:
    return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_data_migrations_from_1_11_to_head(engine: Engine) -> None:
    """Argilla data upgraded from 1.11 ends up wrong (or, on SQLite, lost to a table rebuild) at head."""
    s = Seed()
    _upgrade(engine, TAG["1.11"])
    with engine.begin() as connection:
        _seed_1_11(connection, s)
    _upgrade(engine, TAG["1.18"])
    with engine.begin() as connection:
        _seed_suggestions(connection, s)
        before = _counts(connection)
    _upgrade(engine, HEAD)  # one transaction, like the service

    with engine.connect() as connection:
        assert _counts(connection) == before
        if engine.dialect.name == "sqlite":
            assert _rows(connection, "PRAGMA foreign_key_check") == []
        stale = _rows(connection, "SELECT id FROM datasets WHERE last_activity_at IS NULL OR last_activity_at <> updated_at")
        assert stale == []
        scores = {_uuid(i): _json(v) for i, v in _rows(connection, "SELECT id, score FROM suggestions")}
        assert scores == {s.s_float: 0.75, s.s_list: None, s.s_integer: 1.0}
        assert {_uuid(i) for (i,) in _rows(connection, "SELECT id FROM responses")} == {
            s.resp_submitted,
            s.resp_draft,
            s.resp_discarded,
        }
        for (distribution,) in _rows(connection, "SELECT distribution FROM datasets"):
            assert _json(distribution) == {"strategy": "overlap", "min_submitted": 1}
        status = {_uuid(i): st for i, st in _rows(connection, "SELECT id, status FROM records")}
        assert status == {s.r1: "completed", s.r2: "pending", s.r3: "pending", s.r4: "pending"}
        pairs = _rows(connection, "SELECT dataset_id, user_id, inserted_at, updated_at FROM datasets_users")
        assert {(_uuid(d), _uuid(u)) for d, u, _i, _u in pairs} == {(s.d1, s.u1), (s.d1, s.u2), (s.d2, s.u1)}
        assert all(i is not None and u is not None for _d, _u, i, u in pairs)

    with engine.begin() as connection:
        _seed_2x_suggestions(connection, s)
    _downgrade(engine, TAG["1.18"])
    with engine.connect() as connection:
        assert _counts(connection) == {**before, "suggestions": before["suggestions"] + 2}
        scores = {_uuid(i): v for i, v in _rows(connection, "SELECT id, score FROM suggestions")}
        assert scores == {s.s_float: 0.75, s.s_list: None, s.s_integer: 1.0, s.s_json_int: 1.0, s.s_json_list: None}
        assert _rows(connection, "SELECT count(*) FROM responses")[0][0] == 3

    _downgrade(engine, "3fc3c0839959")  # the enum is empty again there: no type value can remain
    with engine.connect() as connection:
        assert _rows(connection, "SELECT count(*) FROM suggestions WHERE type IS NOT NULL")[0][0] == (
            0 if engine.dialect.name == "postgresql" else 4
        )
    _downgrade(engine, TAG["1.11"])
    with engine.connect() as connection:
        tables = tuple(t for t in COUNTS if t != "suggestions")
        assert _counts(connection, tables) == {t: before[t] for t in tables}
        assert _rows(connection, "SELECT count(*) FROM responses")[0][0] == 3


# --- offline (--sql) rendering -------------------------------------------------------------------


def _render(dialect: str, direction: str) -> str:
    buffer = io.StringIO()
    config = _config(dialect_name=dialect)
    config.output_buffer = buffer
    if direction == "upgrade":
        command.upgrade(config, f"base:{HEAD}", sql=True)
    else:
        command.downgrade(config, f"{HEAD}:base", sql=True)
    return buffer.getvalue()


def _run_script(engine: Engine, script: str) -> None:
    if engine.dialect.name == "sqlite":
        assert engine.url.database is not None
        with sqlite3.connect(engine.url.database) as sqlite:
            sqlite.executescript(script)
        return
    pooled = engine.raw_connection()
    try:
        cursor = pooled.cursor()
        try:
            cursor.execute(script)
        finally:
            cursor.close()
        pooled.commit()
    finally:
        pooled.close()


def test_offline_sql_renders_and_runs_both_ways(engine: Engine) -> None:
    """A dry run (--sql) that fails to render, or renders SQL that would not build Argilla's schema."""
    dialect = engine.dialect.name
    up, down = _render(dialect, "upgrade"), _render(dialect, "downgrade")
    for revision in REVISIONS:
        assert f"'{revision}'" in up and f"'{revision}'" in down
    assert "DELETE FROM responses WHERE user_id IS NULL" in up
    assert "INSERT INTO datasets_users" in up
    _run_script(engine, up)
    assert schema_diff(expected_schema(HEAD, dialect), _snapshot(engine)) == []
    _run_script(engine, down)
    assert _snapshot(engine) == empty_schema(dialect)

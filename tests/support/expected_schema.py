"""Argilla's schema at every revision, written down from the facts sheet (not recorded from a run).

``expected_schema(revision, dialect)`` replays per-revision deltas from ``<base>`` and returns the
shape that ``tests.support.schema_snapshot.snapshot`` produces. Details the facts sheet leaves to
conventions are derived from them: PostgreSQL names PKs ``<table>_pkey`` and FKs
``<table>_<column>_fkey``; SQLite leaves both unnamed (until ``d00f819ccc67`` names the ``responses``
FKs). Defaults are written as the catalogs read them back: PostgreSQL ``pg_get_expr`` text, SQLite
``PRAGMA table_info`` text (``DEFAULT (0)`` reads ``0``). The facts give a SQLite rendering only for
the ``false`` defaults; the ``true`` defaults are taken to be rendered the same way (``(1)`` -> ``1``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

Schema = dict[str, Any]
Delta = Callable[[Schema, str], None]

# Argilla's release tag -> revision map (facts §2.1, 2.5.0 release branch), in order.
RELEASE_TAGS: dict[str, str] = {
    "1.7": "1769ee58fbb4",
    "1.8": "ae5522b4c674",
    "1.11": "3ff6484f8b37",
    "1.13": "1e629a913727",
    "1.17": "84f6b9ff6076",
    "1.18": "bda6fe24314e",
    "1.28": "ca7293c38970",
    "2.0": "237f7c674d74",
    "2.4": "660d6c6b3360",
    "2.5": "580a6553186f",
}

# Generic type -> (PostgreSQL format_type, SQLite declared type), facts §1.1.
TYPES = {
    "uuid": ("uuid", "CHAR(32)"),
    "string": ("character varying", "VARCHAR"),
    "text": ("text", "TEXT"),
    "json": ("json", "JSON"),
    "datetime": ("timestamp without time zone", "DATETIME"),
    "boolean": ("boolean", "BOOLEAN"),
    "float": ("double precision", "FLOAT"),
    "integer": ("integer", "INTEGER"),
}

# Server defaults as read back: (PostgreSQL, SQLite).
FALSE = ("false", "0")
TRUE = ("true", "1")

ENUMS = {
    "response_status_enum": ["draft", "submitted", "discarded"],
    "dataset_status_enum": ["draft", "ready"],
    "user_role_enum": ["owner", "admin", "annotator"],
    "record_status_enum": ["pending", "completed"],
}


def _type(generic: str, dialect: str) -> str:
    pg, lite = TYPES[generic]
    return pg if dialect == "postgresql" else lite


def col(name: str, generic: str, dialect: str, *, null: bool = False, default: tuple[str, str] | None = None) -> dict[str, Any]:
    """One column; ``null`` is nullability (NOT NULL unless said), ``default`` a (PostgreSQL, SQLite) pair."""
    value = None if default is None else (default[0] if dialect == "postgresql" else default[1])
    return {"name": name, "type": _type(generic, dialect), "nullable": null, "default": value}


def fk(table: str, column: str, referred: str, ondelete: str | None, dialect: str, *, named: bool = False) -> dict[str, Any]:
    """A single-column FK to ``referred.id``; PostgreSQL auto-names it, SQLite only when ``named``."""
    name = f"{table}_{column}_fkey" if dialect == "postgresql" or named else None
    return {"name": name, "columns": [column], "referred_table": referred, "referred_columns": ["id"], "ondelete": ondelete}


def _sorted(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: (str(item.get("name")), repr(item)))


def table(
    name: str,
    dialect: str,
    columns: list[dict[str, Any]],
    *,
    pk: list[str] | None = None,
    fks: Sequence[dict[str, Any]] = (),
    uniques: dict[str, list[str]] | None = None,
    indexes: Sequence[str] = (),
    unique_indexes: Sequence[str] = (),
) -> dict[str, Any]:
    """A table in snapshot shape; indexes are given by column and named ``ix_<table>_<column>``."""
    index_list = [{"name": f"ix_{name}_{c}", "columns": [c], "unique": False} for c in indexes]
    index_list += [{"name": f"ix_{name}_{c}", "columns": [c], "unique": True} for c in unique_indexes]
    return {
        "columns": columns,
        "primary_key": {"name": f"{name}_pkey" if dialect == "postgresql" else None, "columns": pk or ["id"]},
        "foreign_keys": _sorted(list(fks)),
        "unique_constraints": _sorted([{"name": n, "columns": c} for n, c in (uniques or {}).items()]),
        "indexes": _sorted(index_list),
    }


def _timestamps(d: str) -> list[dict[str, Any]]:
    return [col("inserted_at", "datetime", d), col("updated_at", "datetime", d)]


def _set_column(schema: Schema, table_name: str, name: str, **changes: Any) -> None:
    for column in schema["tables"][table_name]["columns"]:
        if column["name"] == name:
            column.update(changes)
            return
    raise KeyError(f"{table_name}.{name}")


def _add_index(schema: Schema, table_name: str, column: str, unique: bool = False) -> None:
    entry = schema["tables"][table_name]
    entry["indexes"] = _sorted([*entry["indexes"], {"name": f"ix_{table_name}_{column}", "columns": [column], "unique": unique}])


# --- §1.3: <base> .. 1e629a913727 ------------------------------------------------------------------


def _users(s: Schema, d: str) -> None:
    s["tables"]["users"] = table(
        "users",
        d,
        [
            col("id", "uuid", d),
            col("first_name", "string", d),
            col("last_name", "string", d, null=True),
            col("username", "string", d),
            col("role", "string", d),
            col("api_key", "text", d),
            col("password_hash", "text", d),
            *_timestamps(d),
        ],
        indexes=["role"],
        unique_indexes=["username", "api_key"],
    )


def _workspaces(s: Schema, d: str) -> None:
    s["tables"]["workspaces"] = table(
        "workspaces",
        d,
        [
            col("id", "uuid", d),
            col("name", "string", d),
            *_timestamps(d),
        ],
        unique_indexes=["name"],
    )


def _workspaces_users(s: Schema, d: str) -> None:
    t = "workspaces_users"
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("workspace_id", "uuid", d),
            col("user_id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "workspace_id", "workspaces", "CASCADE", d), fk(t, "user_id", "users", "CASCADE", d)],
        uniques={"workspace_id_user_id_uq": ["workspace_id", "user_id"]},
        indexes=["workspace_id", "user_id"],
    )


def _datasets(s: Schema, d: str) -> None:
    t = "datasets"
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("name", "string", d),
            col("guidelines", "text", d, null=True),
            col("status", "string", d),
            col("workspace_id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "workspace_id", "workspaces", "CASCADE", d)],
        uniques={"dataset_name_workspace_id_uq": ["name", "workspace_id"]},
        indexes=["name", "status", "workspace_id"],
    )


def _questions(s: Schema, d: str) -> None:
    t = "questions"
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("name", "string", d),
            col("title", "text", d),
            col("description", "text", d, null=True),
            col("required", "boolean", d, default=FALSE),
            col("settings", "json", d),
            col("dataset_id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "dataset_id", "datasets", "CASCADE", d)],
        uniques={"question_name_dataset_id_uq": ["name", "dataset_id"]},
        indexes=["name", "dataset_id"],
    )


def _records(s: Schema, d: str) -> None:
    t = "records"
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("fields", "json", d),
            col("external_id", "string", d, null=True),
            col("dataset_id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "dataset_id", "datasets", "CASCADE", d)],
        uniques={"record_external_id_dataset_id_uq": ["external_id", "dataset_id"]},
        indexes=["external_id", "dataset_id"],
    )


def _responses(s: Schema, d: str) -> None:
    t = "responses"
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("values", "json", d, null=True),
            col("status", "string", d),
            col("record_id", "uuid", d),
            col("user_id", "uuid", d, null=True),
            *_timestamps(d),
        ],
        fks=[fk(t, "record_id", "records", "CASCADE", d), fk(t, "user_id", "users", "SET NULL", d)],
        uniques={"response_record_id_user_id_uq": ["record_id", "user_id"]},
        indexes=["status", "record_id", "user_id"],
    )


def _fields(s: Schema, d: str) -> None:
    t = "fields"
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("name", "string", d),
            col("title", "text", d),
            col("required", "boolean", d, default=FALSE),
            col("settings", "json", d),
            col("dataset_id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "dataset_id", "datasets", "CASCADE", d)],
        uniques={"field_name_dataset_id_uq": ["name", "dataset_id"]},
        indexes=["name", "dataset_id"],
    )


def _records_metadata(s: Schema, d: str) -> None:
    s["tables"]["records"]["columns"].append(col("metadata", "json", d, null=True))


def _enum_columns(s: Schema, d: str) -> None:
    if d != "postgresql":
        return
    for table_name, column, enum in (
        ("responses", "status", "response_status_enum"),
        ("datasets", "status", "dataset_status_enum"),
        ("users", "role", "user_role_enum"),
    ):
        s["enums"][enum] = list(ENUMS[enum])
        _set_column(s, table_name, column, type=enum)


def _suggestions(s: Schema, d: str) -> None:
    t = "suggestions"
    type_column = col("type", "string", d, null=True)
    if d == "postgresql":
        type_column["type"] = "suggestion_type_enum"
        s["enums"]["suggestion_type_enum"] = []  # created by the labelless Enum: empty
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("value", "json", d),
            col("score", "float", d, null=True),
            col("agent", "string", d, null=True),
            type_column,
            col("record_id", "uuid", d),
            col("question_id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "record_id", "records", "CASCADE", d), fk(t, "question_id", "questions", "CASCADE", d)],
        uniques={"suggestion_record_id_question_id_uq": ["record_id", "question_id"]},
        indexes=["question_id", "record_id", "type"],
    )


def _suggestion_type_labels(s: Schema, d: str) -> None:
    if d == "postgresql":
        s["enums"]["suggestion_type_enum"] = ["model", "human"]


# --- §3: 7cbcccf8b57a .. 580a6553186f --------------------------------------------------------------


def _metadata_properties(s: Schema, d: str) -> None:
    t = "metadata_properties"
    s["tables"][t] = table(
        t,
        d,
        [
            col("id", "uuid", d),
            col("name", "string", d),
            col("title", "text", d),
            col("settings", "json", d),
            col("allowed_roles", "json", d, default=("'[]'::json", "'[]'")),
            col("dataset_id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "dataset_id", "datasets", "CASCADE", d)],
        uniques={"metadata_property_name_dataset_id_uq": ["name", "dataset_id"]},
        indexes=["dataset_id", "name"],
    )


def _allow_extra_metadata(s: Schema, d: str) -> None:
    s["tables"]["datasets"]["columns"].append(col("allow_extra_metadata", "boolean", d, default=TRUE))


def _last_activity_at(s: Schema, d: str) -> None:
    s["tables"]["datasets"]["columns"].append(col("last_activity_at", "datetime", d))


def _vectors_settings(s: Schema, d: str) -> None:
    t = "vectors_settings"
    s["tables"][t] = table(
        t,
        d,
        [
            col("name", "string", d),
            col("title", "text", d),
            col("dimensions", "integer", d),
            col("dataset_id", "uuid", d),
            col("id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "dataset_id", "datasets", "CASCADE", d)],
        uniques={"vector_settings_name_dataset_id_uq": ["name", "dataset_id"]},
        indexes=["dataset_id", "name"],
    )


def _vectors(s: Schema, d: str) -> None:
    t = "vectors"
    s["tables"][t] = table(
        t,
        d,
        [
            col("value", "json", d),
            col("record_id", "uuid", d),
            col("vector_settings_id", "uuid", d),
            col("id", "uuid", d),
            *_timestamps(d),
        ],
        fks=[fk(t, "record_id", "records", "CASCADE", d), fk(t, "vector_settings_id", "vectors_settings", "CASCADE", d)],
        uniques={"vector_record_id_vector_settings_id_uq": ["record_id", "vector_settings_id"]},
        indexes=["record_id", "vector_settings_id"],
    )


def _score_json(s: Schema, d: str) -> None:
    _set_column(s, "suggestions", "score", type=_type("json", d))


def _responses_user_cascade(s: Schema, d: str) -> None:
    t = "responses"
    _set_column(s, t, "user_id", nullable=False)
    # SQLite: the batch rebuild with a naming convention names both FKs.
    s["tables"][t]["foreign_keys"] = _sorted(
        [
            fk(t, "record_id", "records", "CASCADE", d, named=True),
            fk(t, "user_id", "users", "CASCADE", d, named=True),
        ]
    )


def _distribution(s: Schema, d: str) -> None:
    s["tables"]["datasets"]["columns"].append(col("distribution", "json", d))


def _records_status(s: Schema, d: str) -> None:
    status = {"name": "status", "nullable": False}
    if d == "postgresql":
        s["enums"]["record_status_enum"] = list(ENUMS["record_status_enum"])
        status.update(type="record_status_enum", default="'pending'::record_status_enum")
    else:
        status.update(type="VARCHAR(9)", default="'pending'")
    s["tables"]["records"]["columns"].append(status)
    _add_index(s, "records", "status")


def _datasets_metadata(s: Schema, d: str) -> None:
    s["tables"]["datasets"]["columns"].append(col("metadata", "json", d, null=True))


def _webhooks(s: Schema, d: str) -> None:
    s["tables"]["webhooks"] = table(
        "webhooks",
        d,
        [
            col("id", "uuid", d),
            col("url", "text", d),
            col("secret", "text", d),
            col("events", "json", d),
            col("enabled", "boolean", d, default=TRUE),
            col("description", "text", d, null=True),
            *_timestamps(d),
        ],
    )


def _datasets_users(s: Schema, d: str) -> None:
    t = "datasets_users"
    s["tables"][t] = table(
        t,
        d,
        [
            col("dataset_id", "uuid", d),
            col("user_id", "uuid", d),
            *_timestamps(d),
        ],
        pk=["dataset_id", "user_id"],
        fks=[fk(t, "dataset_id", "datasets", "CASCADE", d), fk(t, "user_id", "users", "CASCADE", d)],
        indexes=["dataset_id", "user_id"],
    )


# (revision, down_revision, message, delta), base first.
_STEPS: list[tuple[str, str | None, str, Delta]] = [
    ("74694870197c", None, "create users table", _users),
    ("82a5a88a3fa5", "74694870197c", "create workspaces table", _workspaces),
    ("1769ee58fbb4", "82a5a88a3fa5", "create workspaces_users table", _workspaces_users),
    ("b9099dc08489", "1769ee58fbb4", "create datasets table", _datasets),
    ("3a8e2f9b5dea", "b9099dc08489", "create questions table", _questions),
    ("8be56284dac0", "3a8e2f9b5dea", "create records table", _records),
    ("e402e9d9245e", "8be56284dac0", "create responses table", _responses),
    ("ae5522b4c674", "e402e9d9245e", "create fields table", _fields),
    ("3ff6484f8b37", "ae5522b4c674", "add record metadata column", _records_metadata),
    ("8c574ada5e5f", "3ff6484f8b37", "update_enum_columns", _enum_columns),
    ("3fc3c0839959", "8c574ada5e5f", "create suggestions table", _suggestions),
    ("1e629a913727", "3fc3c0839959", "fix suggestions type enum values", _suggestion_type_labels),
    ("7cbcccf8b57a", "1e629a913727", "create metadata_properties table", _metadata_properties),
    ("b8458008b60e", "7cbcccf8b57a", "add allow_extra_metadata column to datasets table", _allow_extra_metadata),
    ("84f6b9ff6076", "b8458008b60e", "add last_activity_at to datasets table", _last_activity_at),
    ("7850ab5b42d9", "84f6b9ff6076", "create vectors settings table", _vectors_settings),
    ("bda6fe24314e", "7850ab5b42d9", "create vectors table", _vectors),
    ("ca7293c38970", "bda6fe24314e", "change suggestions score column to json", _score_json),
    ("d00f819ccc67", "ca7293c38970", "update responses user_id foreign key", _responses_user_cascade),
    ("45a12f74448b", "d00f819ccc67", "add distribution column to datasets table", _distribution),
    ("237f7c674d74", "45a12f74448b", "add status column to records table", _records_status),
    ("660d6c6b3360", "237f7c674d74", "add metadata column to datasets table", _datasets_metadata),
    ("6ed1b8bf8e08", "660d6c6b3360", "create webhooks table", _webhooks),
    ("580a6553186f", "6ed1b8bf8e08", "add datasets_users table", _datasets_users),
]

CHAIN: list[tuple[str, str | None, str]] = [(rev, down, message) for rev, down, message, _delta in _STEPS]
REVISIONS: list[str] = [rev for rev, _down, _message, _delta in _STEPS]
HEAD = REVISIONS[-1]


def empty_schema(dialect: str) -> Schema:
    """The schema at ``<base>``: no tables, no enum types, no CHECK constraints."""
    return {"dialect": dialect, "tables": {}, "enums": {}, "check_constraints": False}


def expected_schema(revision: str | None, dialect: str) -> Schema:
    """Argilla's schema after upgrading to ``revision`` (None or ``"base"`` for ``<base>``) on ``dialect``."""
    if dialect not in ("postgresql", "sqlite"):
        raise ValueError(f"unknown dialect {dialect!r}")
    schema = empty_schema(dialect)
    if revision in (None, "base"):
        return schema
    if revision not in REVISIONS:
        raise KeyError(f"unknown revision {revision!r}")
    for rev, _down, _message, delta in _STEPS:
        delta(schema, dialect)
        if rev == revision:
            break
    return copy.deepcopy(schema)

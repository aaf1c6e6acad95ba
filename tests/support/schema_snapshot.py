"""Normalized, JSON-able snapshots of a database schema (PostgreSQL or SQLite) and their differences.

Shape of a snapshot::

    {"dialect": "postgresql" | "sqlite",
     "tables": {name: {"columns": [{"name", "type", "nullable", "default"}, ...],   # in table order
                       "primary_key": {"name", "columns"},
                       "foreign_keys": [{"name", "columns", "referred_table", "referred_columns", "ondelete"}],
                       "unique_constraints": [{"name", "columns"}],
                       "indexes": [{"name", "columns", "unique"}]}},
     "enums": {name: [labels in order]},          # PostgreSQL enum types; always {} on SQLite
     "check_constraints": bool}                   # whether any CHECK constraint exists

Lists other than ``columns`` are sorted, so two snapshots compare with ``==``. Types are
``format_type()`` on PostgreSQL and the declared type text on SQLite. Defaults are
``pg_get_expr()`` on PostgreSQL and ``PRAGMA table_info``'s text on SQLite (which drops one level of
parentheses: ``DEFAULT (0)`` reads ``0``). PK and FK names come from the catalog on PostgreSQL and from
the ``CREATE TABLE`` text on SQLite (None when unnamed). Indexes are the ones made by CREATE INDEX;
indexes that back a PK or UNIQUE constraint are listed under those constraints instead.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Snapshot = dict[str, Any]

IGNORED_TABLES = {"alembic_version"}
IGNORED_PREFIX = "maint_"
_ONDELETE = {"a": None, "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _ignored(table: str) -> bool:
    return table in IGNORED_TABLES or table.startswith(IGNORED_PREFIX)


def _sort(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: (str(item.get("name")), repr(item)))


def snapshot(connection: Connection) -> Snapshot:
    """The schema of the database behind ``connection`` (a sync SQLAlchemy connection)."""
    name = connection.dialect.name
    if name == "postgresql":
        return _postgres(connection)
    if name == "sqlite":
        return _sqlite(connection)
    raise ValueError(f"unsupported dialect {name!r}")


# --- PostgreSQL -----------------------------------------------------------------------------------

_PG_TABLES = """
SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""
_PG_COLUMNS = """
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_PG_CONSTRAINTS = """
SELECT con.conname, con.contype, con.conkey, con.confkey, con.confdeltype, ref.relname, con.confrelid
FROM pg_constraint con LEFT JOIN pg_class ref ON ref.oid = con.confrelid
WHERE con.conrelid = :oid
"""
_PG_INDEXES = """
SELECT ic.relname, i.indisunique, i.indkey::int2[]
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = :oid AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
"""
_PG_ENUMS = """
SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = current_schema() AND t.typtype = 'e' ORDER BY t.typname, e.enumsortorder
"""


def _postgres(connection: Connection) -> Snapshot:
    tables: dict[str, Any] = {}
    for oid, table in connection.execute(sa.text(_PG_TABLES)).all():
        if not _ignored(table):
            tables[table] = _pg_table(connection, oid)
    enums: dict[str, list[str]] = {}
    for enum, label in connection.execute(sa.text(_PG_ENUMS)).all():
        labels = enums.setdefault(enum, [])
        if label is not None:
            labels.append(label)
    checks = connection.execute(
        sa.text(
            "SELECT count(*) FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE n.nspname = current_schema() AND con.contype = 'c'"
        )
    ).scalar_one()
    return {"dialect": "postgresql", "tables": tables, "enums": enums, "check_constraints": bool(checks)}


def _pg_column_names(connection: Connection, oid: int) -> dict[int, str]:
    rows = connection.execute(
        sa.text("SELECT attnum, attname FROM pg_attribute WHERE attrelid = :oid AND attnum > 0"), {"oid": oid}
    ).all()
    return {int(num): str(name) for num, name in rows}


def _pg_table(connection: Connection, oid: int) -> dict[str, Any]:
    columns = [
        {"name": name, "type": type_, "nullable": not notnull, "default": default}
        for _num, name, type_, notnull, default in connection.execute(sa.text(_PG_COLUMNS), {"oid": oid}).all()
    ]
    names = _pg_column_names(connection, oid)
    primary_key: dict[str, Any] | None = None
    foreign_keys: list[dict[str, Any]] = []
    uniques: list[dict[str, Any]] = []
    for conname, contype, conkey, confkey, deltype, ref_table, ref_oid in connection.execute(
        sa.text(_PG_CONSTRAINTS), {"oid": oid}
    ).all():
        cols = [names[k] for k in conkey or []]
        if contype == "p":
            primary_key = {"name": conname, "columns": cols}
        elif contype == "u":
            uniques.append({"name": conname, "columns": cols})
        elif contype == "f":
            ref_names = _pg_column_names(connection, ref_oid)
            foreign_keys.append(
                {
                    "name": conname,
                    "columns": cols,
                    "referred_table": ref_table,
                    "referred_columns": [ref_names[k] for k in confkey],
                    "ondelete": _ONDELETE[deltype],
                }
            )
    indexes = [
        {"name": name, "columns": [names[k] for k in keys], "unique": bool(unique)}
        for name, unique, keys in connection.execute(sa.text(_PG_INDEXES), {"oid": oid}).all()
    ]
    return {
        "columns": columns,
        "primary_key": primary_key,
        "foreign_keys": _sort(foreign_keys),
        "unique_constraints": _sort(uniques),
        "indexes": _sort(indexes),
    }


# --- SQLite ---------------------------------------------------------------------------------------

_CONSTRAINT_NAME = r'CONSTRAINT\s+(?:"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|(\w+))\s+'
_CHECK = re.compile(r"\bCHECK\s*\(", re.IGNORECASE)


def _sqlite(connection: Connection) -> Snapshot:
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).all()
    tables: dict[str, Any] = {}
    checks = False
    for table, sql in rows:
        if _ignored(table):
            continue
        checks = checks or bool(_CHECK.search(sql or ""))
        tables[table] = _sqlite_table(connection, table, sql or "")
    return {"dialect": "sqlite", "tables": tables, "enums": {}, "check_constraints": checks}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] in '"`[' and name[-1] in '"`]':
        return name[1:-1]
    return name


def _constraint_clauses(sql: str) -> list[str]:
    """Top-level comma-separated parts of a CREATE TABLE body."""
    body = sql[sql.index("(") + 1 : sql.rindex(")")]
    parts, depth, start, quote = [], 0, 0, ""
    for i, char in enumerate(body):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return parts


def _named_clauses(sql: str, keyword: str) -> list[tuple[str | None, list[str]]]:
    """(constraint name or None, column list) of each table-level clause of the given kind."""
    found = []
    pattern = re.compile(rf"^(?:{_CONSTRAINT_NAME})?{keyword}\s*\(([^)]*)\)", re.IGNORECASE)
    for clause in _constraint_clauses(sql):
        match = pattern.match(clause)
        if match:
            name = next((g for g in match.groups()[:4] if g), None)
            found.append((name, [_unquote(c) for c in match.group(5).split(",")]))
    return found


def _sqlite_table(connection: Connection, table: str, sql: str) -> dict[str, Any]:
    info = connection.exec_driver_sql(f"PRAGMA table_info({_quote(table)})").all()
    columns = [
        {"name": name, "type": type_, "nullable": not notnull, "default": default}
        for _cid, name, type_, notnull, default, _pk in info
    ]
    pk_columns = [name for _cid, name, _t, _n, _d, pk in sorted(info, key=lambda r: r[5]) if pk]
    pk_names = [name for name, _cols in _named_clauses(sql, "PRIMARY KEY")]
    primary_key = {"name": pk_names[0] if pk_names else None, "columns": pk_columns} if pk_columns else None

    fk_names = {tuple(cols): name for name, cols in _named_clauses(sql, "FOREIGN KEY")}
    grouped: dict[int, dict[str, Any]] = {}
    for fk_id, _seq, ref_table, col, ref_col, _upd, on_delete, _match in connection.exec_driver_sql(
        f"PRAGMA foreign_key_list({_quote(table)})"
    ).all():
        entry = grouped.setdefault(
            fk_id,
            {
                "columns": [],
                "referred_table": ref_table,
                "referred_columns": [],
                "ondelete": None if on_delete == "NO ACTION" else on_delete,
            },
        )
        entry["columns"].append(col)
        entry["referred_columns"].append(ref_col)
    foreign_keys = [{"name": fk_names.get(tuple(fk["columns"])), **fk} for fk in grouped.values()]

    unique_names = {tuple(cols): name for name, cols in _named_clauses(sql, "UNIQUE")}
    uniques, indexes = [], []
    for _seq, index, unique, origin, _partial in connection.exec_driver_sql(f"PRAGMA index_list({_quote(table)})").all():
        cols = [row[2] for row in connection.exec_driver_sql(f"PRAGMA index_info({_quote(index)})").all()]
        if origin == "u":
            uniques.append({"name": unique_names.get(tuple(cols)), "columns": cols})
        elif origin == "c":
            indexes.append({"name": index, "columns": cols, "unique": bool(unique)})
    return {
        "columns": columns,
        "primary_key": primary_key,
        "foreign_keys": _sort(foreign_keys),
        "unique_constraints": _sort(uniques),
        "indexes": _sort(indexes),
    }


# --- differences ----------------------------------------------------------------------------------


def _without_column_order(snap: Snapshot) -> Snapshot:
    tables = {
        name: {**table, "columns": sorted(table["columns"], key=lambda c: c["name"])}
        for name, table in snap.get("tables", {}).items()
    }
    return {**snap, "tables": tables}


def schema_diff(expected: Snapshot, actual: Snapshot, *, ignore_column_order: bool = False) -> list[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    if ignore_column_order:
        expected, actual = _without_column_order(expected), _without_column_order(actual)
    out: list[str] = []
    for key in ("dialect", "enums", "check_constraints"):
        if expected.get(key) != actual.get(key):
            out.append(f"{key}: expected {expected.get(key)!r}, got {actual.get(key)!r}")
    exp_tables, act_tables = expected.get("tables", {}), actual.get("tables", {})
    for missing in sorted(set(exp_tables) - set(act_tables)):
        out.append(f"table {missing}: missing")
    for extra in sorted(set(act_tables) - set(exp_tables)):
        out.append(f"table {extra}: unexpected")
    for table in sorted(set(exp_tables) & set(act_tables)):
        out.extend(_table_diff(table, exp_tables[table], act_tables[table]))
    return out


def _table_diff(table: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    out: list[str] = []
    exp_cols = [c["name"] for c in expected["columns"]]
    act_cols = [c["name"] for c in actual["columns"]]
    if exp_cols != act_cols:
        out.append(f"{table}: columns expected {exp_cols}, got {act_cols}")
    act_by_name = {c["name"]: c for c in actual["columns"]}
    for column in expected["columns"]:
        other = act_by_name.get(column["name"])
        if other is not None and other != column:
            changes = {k: (column[k], other.get(k)) for k in column if column[k] != other.get(k)}
            out.append(
                f"{table}.{column['name']}: " + ", ".join(f"{k} expected {e!r}, got {a!r}" for k, (e, a) in changes.items())
            )
    for key in ("primary_key", "foreign_keys", "unique_constraints", "indexes"):
        if expected.get(key) != actual.get(key):
            out.append(f"{table}: {key} expected {expected.get(key)!r}, got {actual.get(key)!r}")
    return out

"""Benchmark: ``database migrate`` wall time, ours beside Argilla 2.8's own, on the same database copies.

Scenarios (each run on a fresh copy: CREATE DATABASE ... TEMPLATE on PostgreSQL, a file copy on SQLite):
- empty -> head on SQLite and on PostgreSQL;
- 1.11 -> head on PostgreSQL holding RECORDS records with 2 responses each (suggestions do not exist
  before 1.13: the table is created on the way);
- 1.13 -> head on PostgreSQL holding the same records and responses plus one suggestion per record, so the
  suggestion data migrations (score to JSON) run on real rows;
- no-op (already at head) on SQLite and on PostgreSQL.

Each run is a fresh process (bench/timed_cli.py) of our CLI (this venv) and, with ``--argilla-venv PATH``,
of Argilla's (``argilla_server database migrate``, argilla-server==2.8.0 installed in PATH), interleaved, so
machine noise hits both alike. "whole" is the process's wall time; "after start-up" is what the process
reports after importing its CLI's entry module. The table prints medians of RUNS and ours/Argilla.
After the runs, the database each tool migrated is compared (PostgreSQL: tables' columns, indexes,
constraints, enum labels and every row's content; SQLite: sqlite_master and rows); a difference is printed.

Usage: python bench/migrate.py [--records 200000] [--runs 3] [--argilla-venv /work/argilla-venv]
BENCH_DATABASE_URL=postgresql://... uses an existing server instead of a throwaway cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.postgres import find_bindir, running_cluster

BENCH = Path(__file__).resolve().parent
OURS_TABLES = ("maint_alembic_version", "maint_operations", "maint_locks")
# Columns a migration fills with the clock (580a6553186f: NOW()): compared as "set or not", not by value.
CLOCK_COLUMNS = {"datasets_users": ("inserted_at", "updated_at")}


def timed_cli(python: str, tool: str, url: str, revision: str, home: str) -> tuple[float, float]:
    """(whole-process seconds, seconds after start-up) of one ``database migrate`` process."""
    env = {**os.environ, "ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": home, "ARGILLA_MAINT_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    done = subprocess.run(
        [python, str(BENCH / "timed_cli.py"), tool, revision], env=env, capture_output=True, text=True, cwd=home
    )
    whole = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{tool} migrate to {revision} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return whole, float(json.loads(done.stdout.strip().splitlines()[-1])["after_startup"])


def timed_migrate(url: str, revision: str, home: str) -> float:
    return timed_cli(sys.executable, "ours", url, revision, home)[0]


def sync_form(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def admin(server: str) -> sa.Engine:
    return sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def fresh_db(server: str, name: str, template: str | None = None) -> str:
    with admin(server).connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def seed(url: str, records: int, with_suggestions: bool) -> None:
    """Users, a workspace, a published dataset with a field and a question, then records and responses."""
    now = "2023-06-20 10:00:00"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        u1, u2, ws, ds, q = (str(uuid.uuid4()) for _ in range(5))
        for user, name in ((u1, "alice"), (u2, "bob")):
            conn.exec_driver_sql(
                "INSERT INTO users VALUES (%s, %s, NULL, %s, 'annotator', %s, 'x', %s, %s)",
                (user, name, name, f"key-{name}", now, now),
            )
        conn.exec_driver_sql("INSERT INTO workspaces VALUES (%s, 'ws', %s, %s)", (ws, now, now))
        conn.exec_driver_sql("INSERT INTO datasets VALUES (%s, 'ds', NULL, 'ready', %s, %s, %s)", (ds, ws, now, now))
        conn.exec_driver_sql(
            "INSERT INTO fields VALUES (%s, 'text', 'Text', true, '{\"type\": \"text\"}', %s, %s, %s)",
            (str(uuid.uuid4()), ds, now, now),
        )
        conn.exec_driver_sql(
            "INSERT INTO questions VALUES (%s, 'rating', 'Rate', NULL, true, "
            '\'{"type": "rating", "options": [{"value": 1}, {"value": 2}]}\', %s, %s, %s)',
            (q, ds, now, now),
        )
        conn.exec_driver_sql(
            "INSERT INTO records (id, fields, external_id, dataset_id, inserted_at, updated_at, metadata) "
            "SELECT gen_random_uuid(), json_build_object('text', 'record ' || n), 'ext-' || n, %s, %s, %s, "
            "json_build_object('n', n) FROM generate_series(1, %s) AS n",
            (ds, now, now, records),
        )
        for user, status in ((u1, "submitted"), (u2, "draft")):
            conn.exec_driver_sql(
                'INSERT INTO responses (id, "values", status, record_id, user_id, inserted_at, updated_at) '
                'SELECT gen_random_uuid(), \'{"rating": {"value": 1}}\', %s, id, %s, %s, %s FROM records',
                (status, user, now, now),
            )
        if with_suggestions:
            conn.exec_driver_sql(
                "INSERT INTO suggestions (id, value, score, agent, type, record_id, question_id, inserted_at, updated_at) "
                "SELECT gen_random_uuid(), '2', 0.75, 'model-a', 'model', id, %s, %s, %s FROM records",
                (q, now, now),
            )
    engine.dispose()


def pg_fingerprint(url: str) -> dict[str, object]:
    """Schema and content of Argilla's tables in a PostgreSQL database (ours excluded), for an exact comparison."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out: dict[str, object] = {}
    with engine.connect() as conn:
        q = conn.exec_driver_sql
        tables = [
            t for (t,) in q("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1") if t not in OURS_TABLES
        ]
        out["columns"] = q(
            "SELECT table_name, ordinal_position, column_name, data_type, udt_name, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
        ).all()
        out["indexes"] = q(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
        ).all()
        out["constraints"] = q(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        ).all()
        out["enums"] = q(
            "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_type t "
            "JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1"
        ).all()
        for table in tables:
            clock = CLOCK_COLUMNS.get(table, ())
            names = q(
                f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
            )
            row = ", ".join(f'("{c}" IS NOT NULL)' if c in clock else f'"{c}"' for (c,) in names)
            out[f"rows {table}"] = q(
                f"SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "
                f'FROM (SELECT {row} FROM "{table}") t'
            ).one()
    engine.dispose()
    for key in ("columns", "indexes", "constraints"):
        out[key] = [tuple(row) for row in out[key] if row[0] not in OURS_TABLES and not str(row[1]).startswith("ix_maint")]  # type: ignore[attr-defined]
    return out


def _default(value: str | None) -> str | None:
    if value is None:
        return None
    bare = value.strip().strip("()").strip().lower()
    return {"true": "1", "false": "0"}.get(bare, bare)


def sqlite_fingerprint(path: str) -> dict[str, object]:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    out: dict[str, object] = {}
    with engine.connect() as conn:
        master = conn.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 2").all()
        # What SQLite enforces, not the DDL's spelling (a rebuilt table may say DEFAULT (1) for Argilla's DEFAULT (true)).
        for _type, name, _tbl, _sql in master:
            if _type == "table" and name not in OURS_TABLES:
                pragma = conn.exec_driver_sql
                columns = [(c[1], c[2], c[3], _default(c[4]), c[5]) for c in pragma(f'PRAGMA table_info("{name}")')]
                indexes = sorted(
                    (i[1], i[2], tuple(c[2] for c in pragma(f'PRAGMA index_info("{i[1]}")')))
                    for i in pragma(f'PRAGMA index_list("{name}")')
                )
                keys = sorted(tuple(k[2:]) for k in pragma(f'PRAGMA foreign_key_list("{name}")'))
                out[f"schema {name}"] = (columns, indexes, keys)
        for _type, name, _tbl, _sql in master:
            if _type == "table" and name not in OURS_TABLES:
                clock = CLOCK_COLUMNS.get(name, ())
                names = [c[1] for c in conn.exec_driver_sql(f'PRAGMA table_info("{name}")').all()]
                row = ", ".join(f'("{c}" IS NOT NULL)' if c in clock else f'"{c}"' for c in names)
                out[f"rows {name}"] = sorted(map(tuple, conn.exec_driver_sql(f'SELECT {row} FROM "{name}"').all()), key=repr)
    engine.dispose()
    return out


def differences(ours: dict[str, object], theirs: dict[str, object]) -> list[str]:
    return [key for key in sorted(set(ours) | set(theirs)) if ours.get(key) != theirs.get(key)]


Row = tuple[str, str, dict[str, tuple[float, float]], list[str] | None]
Copy = Callable[[str, int], str]
Fingerprint = Callable[[str], dict[str, object]]


@dataclass
class Bench:
    """One run's tools, server and scratch home; ``rows`` collects the medians for the report."""

    runs: int
    tools: list[tuple[str, str]]
    server: str
    home: str
    rows: list[Row] = field(default_factory=list)

    def measure(self, name: str, what: str, revision: str, copy: Copy, fingerprint: Fingerprint) -> None:
        times: dict[str, list[tuple[float, float]]] = {tool: [] for tool, _ in self.tools}
        last: dict[str, str] = {}
        for n in range(self.runs):
            for tool, python in self.tools:
                target = copy(tool, n)
                times[tool].append(timed_cli(python, tool, target, revision, self.home))
                last[tool] = target
        medians = {tool: (statistics.median(w for w, _ in t), statistics.median(a for _, a in t)) for tool, t in times.items()}
        diff = differences(fingerprint(last["ours"]), fingerprint(last["argilla"])) if "argilla" in last else None
        self.rows.append((name, what, medians, diff))
        print(f"done: {name}, {what}", file=sys.stderr)

    def pg_copy(self, template: str | None, label: str) -> Copy:
        return lambda tool, n: fresh_db(self.server, f"{label}_{tool}_{n}", template=template)

    def sqlite_copy(self, source: Path | None, label: str) -> Copy:
        def copy(tool: str, n: int) -> str:
            target = Path(self.home) / f"{label}_{tool}_{n}.db"
            target.unlink(missing_ok=True)
            if source is not None:
                shutil.copyfile(source, target)
            return f"sqlite:///{target}"

        return copy


def pg_fp(url: str) -> dict[str, object]:
    return pg_fingerprint(sync_form(url))


def sqlite_fp(url: str) -> dict[str, object]:
    return sqlite_fingerprint(url.removeprefix("sqlite:///"))


def _tools(argilla_venv: Path | None) -> list[tuple[str, str]]:
    tools = [("ours", sys.executable)]
    if argilla_venv is not None:
        python = argilla_venv / "bin" / "python"
        if not python.exists():
            raise SystemExit(f"--argilla-venv {argilla_venv}: no bin/python there")
        tools.append(("argilla", str(python)))
    return tools


def _server(stack: ExitStack) -> str:
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL binaries; set BENCH_DATABASE_URL")
        server = stack.enter_context(running_cluster(bindir)).url(driver="postgresql")
    return sync_form(server)


def _measure_seeded(bench: Bench, tag: str, with_suggestions: bool, records: int) -> None:
    template = f"seed_{tag.replace('.', '_')}"
    url = fresh_db(bench.server, template)
    timed_migrate(url, tag, bench.home)
    started = time.perf_counter()
    seed(url, records, with_suggestions)
    with admin(bench.server).connect() as conn:  # no session may stay on a template
        conn.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{template}'")
    print(f"seeded {template} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    what = f"postgresql, {records:,} records, {2 * records:,} responses"
    if with_suggestions:
        what += f", {records:,} suggestions"
    bench.measure(f"{tag} -> head", what, "head", bench.pg_copy(template, f"t{tag.replace('.', '_')}"), pg_fp)


def _measure_no_ops(bench: Bench) -> None:
    at_head_pg = fresh_db(bench.server, "at_head")
    timed_migrate(at_head_pg, "head", bench.home)
    bench.measure("no-op (at head)", "postgresql", "head", bench.pg_copy("at_head", "noop"), pg_fp)
    at_head_sqlite = Path(bench.home) / "at_head.db"
    timed_migrate(f"sqlite:///{at_head_sqlite}", "head", bench.home)
    bench.measure("no-op (at head)", "sqlite", "head", bench.sqlite_copy(at_head_sqlite, "noop"), sqlite_fp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--argilla-venv", type=Path, default=None, help="a venv with argilla-server==2.8.0 (and psycopg2, asyncpg)"
    )
    args = parser.parse_args()
    tools = _tools(args.argilla_venv)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as home:
        bench = Bench(args.runs, tools, _server(stack), home)
        bench.measure("empty -> head", "sqlite", "head", bench.sqlite_copy(None, "empty"), sqlite_fp)
        bench.measure("empty -> head", "postgresql", "head", bench.pg_copy(None, "empty"), pg_fp)
        for tag, with_suggestions in (("1.11", False), ("1.13", True)):
            _measure_seeded(bench, tag, with_suggestions, args.records)
        _measure_no_ops(bench)
    report(bench.rows, args.runs, "argilla" in dict(tools))


def report(rows: list[Row], runs: int, with_argilla: bool) -> None:
    print(f"\nmedian of {runs} runs, seconds; whole = process wall time, after = after the CLI module's import")
    head = f"{'migration':<16} {'database':<62} {'ours whole':>10} {'ours after':>10}"
    if with_argilla:
        head += f" {'Argilla whole':>13} {'Argilla after':>13} {'whole x':>8} {'after x':>8}  same result"
    print(head)
    for name, what, medians, diff in rows:
        ours = medians["ours"]
        line = f"{name:<16} {what:<62} {ours[0]:>10.3f} {ours[1]:>10.3f}"
        if with_argilla:
            theirs = medians["argilla"]
            same = "yes" if not diff else "NO: " + ", ".join(diff)
            line += f" {theirs[0]:>13.3f} {theirs[1]:>13.3f} {ours[0] / theirs[0]:>8.2f} {ours[1] / theirs[1]:>8.2f}  {same}"
        print(line)


if __name__ == "__main__":
    main()

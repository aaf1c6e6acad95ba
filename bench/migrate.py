"""Benchmark: migration wall time through service.ops (median of N runs), printed as a table.

Rows:
- base -> head on SQLite and on PostgreSQL (empty database);
- 1.11 -> head on PostgreSQL holding RECORDS records with 2 responses each (suggestions do not exist
  before 1.13: the table is created on the way);
- 1.13 -> head on PostgreSQL holding the same records and responses plus one suggestion per record, so the
  suggestion data migrations (score to JSON) run on real rows.

Seeded databases are built once and copied with CREATE DATABASE ... TEMPLATE for every run.
Usage: python bench/migrate.py [--records 200000] [--runs 3]; BENCH_DATABASE_URL=postgresql://... to use
an existing server instead of a throwaway cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.core.config import load_settings
from service.core.logging import configure_logging
from service.ops.migrate import migrate
from service.ops.results import MigrateRequest
from service.runtime import open_resources
from tests.support.postgres import find_bindir, running_cluster


async def timed_migrate(url: str, revision: str, home: str) -> float:
    settings = load_settings({"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": home})
    async with open_resources(settings) as resources:
        started = time.perf_counter()
        result = await migrate(resources, "bench", MigrateRequest(revision=revision))
        elapsed = time.perf_counter() - started
    assert result.operation.status == "succeeded", result.operation.error
    return elapsed


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


def median_runs(runs: int, prepare, revision: str, home: str) -> float:  # type: ignore[no-untyped-def]
    times = []
    for n in range(runs):
        url = prepare(n)
        times.append(asyncio.run(timed_migrate(url, revision, home)))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure_logging("WARNING")
    rows: list[tuple[str, str, float]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as home:
        server = os.environ.get("BENCH_DATABASE_URL")
        if not server:
            bindir = find_bindir()
            if bindir is None:
                raise SystemExit("no PostgreSQL binaries; set BENCH_DATABASE_URL")
            server = stack.enter_context(running_cluster(bindir)).url(driver="postgresql")
        server = sync_form(server)

        def sqlite_db(n: int) -> str:
            return f"sqlite:///{Path(home) / f'bench-{n}.db'}"

        rows.append(("base -> head", "sqlite, empty", median_runs(args.runs, sqlite_db, "head", home)))
        rows.append(
            ("base -> head", "postgresql, empty", median_runs(args.runs, lambda n: fresh_db(server, f"empty_{n}"), "head", home))
        )

        for tag, with_suggestions in (("1.11", False), ("1.13", True)):
            template = f"seed_{tag.replace('.', '_')}"
            url = fresh_db(server, template)
            asyncio.run(timed_migrate(url, tag, home))
            started = time.perf_counter()
            seed(url, args.records, with_suggestions)
            print(f"seeded {template} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
            what = f"postgresql, {args.records:,} records, {2 * args.records:,} responses"
            if with_suggestions:
                what += f", {args.records:,} suggestions"
            seconds = median_runs(args.runs, lambda n, t=template: fresh_db(server, f"{t}_run{n}", template=t), "head", home)
            rows.append((f"{tag} -> head", what, seconds))

    print(f"\n{'migration':<14} {'database':<78} {'median s':>9}   (median of {args.runs})")
    for name, what, seconds in rows:
        print(f"{name:<14} {what:<78} {seconds:>9.3f}")


if __name__ == "__main__":
    main()

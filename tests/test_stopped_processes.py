"""Processes that die or are stopped mid-operation: the lock is taken over at once and the record tells the truth.

Real CLI processes (``argilla-maint``) on real SQLite files and PostgreSQL databases; each run is
held at a known point by a lock the test holds (a SQLite read transaction, a PostgreSQL table or
row lock), then killed or signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service.cli import exit_codes
from service.core import holders
from tests.support.http import ADMIN, served

HEAD = "580a6553186f"
RELEASE_2_0 = "237f7c674d74"
CLI = str(Path(sys.executable).parent / "argilla-maint")
WAIT = 60.0


def cli_env(url: str, home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ARGILLA_DATABASE_URL": url,
        "ARGILLA_HOME_PATH": str(home),
        "ARGILLA_MAINT_LOG_LEVEL": "WARNING",
        **extra,
    }


def run(args: list[str], url: str, home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], env=cli_env(url, home, **extra), capture_output=True, text=True, timeout=120)


def start(args: list[str], url: str, home: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, *args], env=cli_env(url, home, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(sqlite3.OperationalError, sa.exc.OperationalError):
            found = check()
            if found:
                return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def show(operation_id: str, url: str, home: Path) -> dict[str, Any]:
    done = run(["operations", "show", operation_id, "--json"], url, home)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


# --- SQLite ---------------------------------------------------------------------------------------


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def sqlite_holding_op(path: str) -> str | None:
    """The migrate operation that holds the lock and has recorded its plan (from/to), about to open its transaction."""
    with contextlib.closing(sqlite3.connect(path, timeout=0.1)) as db:
        row = db.execute(
            "SELECT o.id FROM maint_operations o JOIN maint_locks l ON l.operation_id = o.id "
            "WHERE o.status = 'running' AND o.progress LIKE '%holding the migration lock%' AND o.to_revision IS NOT NULL"
        ).fetchone()
    return None if row is None else str(row[0])


@contextlib.contextmanager
def sqlite_reader(path: str) -> Iterator[sqlite3.Connection]:
    """A read transaction: a writer can work in its cache but cannot COMMIT while it is open."""
    db = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    try:
        db.execute("BEGIN")
        db.execute("SELECT count(*) FROM sqlite_master").fetchall()
        yield db
    finally:
        db.close()


def sqlite_revision(path: str) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
            return []
        return [r[0] for r in db.execute("SELECT version_num FROM alembic_version")]


def test_kill9_of_a_cli_migration_on_sqlite_frees_the_lock_at_once(sqlite_url: str, tmp_path: Path) -> None:
    """kill -9 mid-migration: the next migrate (lock timeout 0) runs at once, and the dead run is `interrupted`."""
    path = sqlite_path(sqlite_url)
    assert run(["operations", "list"], sqlite_url, tmp_path).returncode == 0  # history tables exist
    victim = start(["database", "migrate"], sqlite_url, tmp_path, ARGILLA_DATABASE_SQLITE_TIMEOUT="60")
    try:
        dead_id = until(lambda: sqlite_holding_op(path), "the migration to hold its lock")
        with sqlite_reader(path):
            time.sleep(0.5)  # the run is inside its transaction, unable to commit
            victim.kill()
            victim.wait(WAIT)
    finally:
        victim.kill()
        victim.communicate()
    assert sqlite_revision(path) == []  # the hot journal rolled back: nothing applied
    second = run(["database", "migrate", "--lock-timeout", "0"], sqlite_url, tmp_path)
    assert second.returncode == 0, second.stderr
    assert sqlite_revision(path) == [HEAD]
    dead = show(dead_id, sqlite_url, tmp_path)
    assert dead["status"] == "interrupted", dead
    assert f"pid {victim.pid}" in dead["error"]["detail"] and "nothing was applied" in dead["error"]["detail"]
    assert dead["finished_at"] is not None


def test_sigterm_of_a_cli_migration_on_sqlite_rolls_back_and_says_so(sqlite_url: str, tmp_path: Path) -> None:
    """SIGTERM mid-migration: exit INTERRUPTED, one line naming the signal and the revision, row `interrupted`."""
    path = sqlite_path(sqlite_url)
    assert run(["operations", "list"], sqlite_url, tmp_path).returncode == 0
    process = start(["database", "migrate"], sqlite_url, tmp_path, ARGILLA_DATABASE_SQLITE_TIMEOUT="3")
    op_id = until(lambda: sqlite_holding_op(path), "the migration to hold its lock")
    with sqlite_reader(path):
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        # Keep the run unable to commit until SQLite's busy timeout has failed its pending statement.
        time.sleep(4.5)
    out, err = process.communicate(timeout=WAIT)
    assert process.returncode == exit_codes.INTERRUPTED, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("Interrupted by SIGTERM: ") and op_id in lines[0]
    assert "rolled back: the database is still at <base>" in lines[0]
    assert sqlite_revision(path) == []
    record = show(op_id, sqlite_url, tmp_path)
    assert record["status"] == "interrupted" and "SIGTERM" in record["error"]["detail"], record


def test_serve_settles_a_dead_cli_migration_before_it_answers(sqlite_url: str, tmp_path: Path) -> None:
    """`serve` marks the operation of a killed CLI `interrupted` at start-up, not a minute later."""
    import httpx

    path = sqlite_path(sqlite_url)
    assert run(["operations", "list"], sqlite_url, tmp_path).returncode == 0
    victim = start(["database", "migrate"], sqlite_url, tmp_path, ARGILLA_DATABASE_SQLITE_TIMEOUT="60")
    try:
        dead_id = until(lambda: sqlite_holding_op(path), "the migration to hold its lock")
        with sqlite_reader(path):
            victim.kill()
            victim.wait(WAIT)
    finally:
        victim.kill()
        victim.communicate()
    with served(sqlite_url, tmp_path, ARGILLA_MAINT_STALE_AFTER_SECONDS="3600") as server:
        record = httpx.get(f"{server.url}/operations/{dead_id}", headers=ADMIN, timeout=30).json()
        assert record["status"] == "interrupted", record
        accepted = httpx.post(f"{server.url}/migrate", json={}, headers={**ADMIN, "Prefer": "wait=30"}, timeout=60)
        assert accepted.status_code == 200 and accepted.json()["status"] == "succeeded", accepted.text


def test_holder_liveness_of_real_processes() -> None:
    """A finished process on this host is `dead`, this one `alive`, another host `unknown`; the text round-trips."""
    me = holders.current()
    assert holders.Holder.parse(str(me)) == me and holders.liveness(me) == "alive"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child_start = holders._start_ticks(child.pid)  # read while it may still run; None if it already exited
    child.wait()
    gone = holders.Holder(me.host, child.pid, child_start or me.start, me.pidns, "x")
    assert holders.liveness(gone) == "dead"
    reused = holders.Holder(me.host, me.pid, str(int(me.start) + 1), me.pidns, "x")
    assert holders.liveness(reused) == "dead"  # same pid, another start time: not our holder
    assert holders.liveness(holders.Holder("elsewhere", child.pid, "1", me.pidns, "x")) == "unknown"
    assert holders.liveness(holders.Holder.parse("old-host:123:abcd")) == "unknown"


# --- PostgreSQL -----------------------------------------------------------------------------------


def pg_sync(url: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg2"), poolclass=sa.pool.NullPool)


def pg_revision(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return []
        return [r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]


def pg_holding_op(engine: sa.Engine) -> str | None:
    """As on SQLite: the lock holder, once its plan (from/to) is recorded and its migration is about to begin."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT id FROM maint_operations WHERE status = 'running' AND CAST(progress AS text) LIKE :phase"
                " AND to_revision IS NOT NULL"
            ),
            {"phase": "%holding the migration lock%"},
        ).first()
    return None if row is None else str(row[0])


def pg_waiting_on_lock(engine: sa.Engine, statement: str) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE :q"),
                {"q": f"{statement}%"},
            ).scalar_one()
        )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_mid_migration_on_postgresql_rolls_back(postgres_url: str, tmp_path: Path, sig: signal.Signals) -> None:
    """SIGTERM or Ctrl-C while a step waits: rolled back, one line saying so (not `Aborted!`), row `interrupted`."""
    assert run(["database", "migrate", "--revision", "2.0"], postgres_url, tmp_path).returncode == 0
    engine = pg_sync(postgres_url)
    blocker = engine.connect()
    try:
        blocker.exec_driver_sql("SELECT count(*) FROM datasets").all()  # ACCESS SHARE until rollback
        process = start(["database", "migrate"], postgres_url, tmp_path)
        op_id = until(lambda: pg_holding_op(engine), "the migration to hold its lock")
        until(lambda: pg_waiting_on_lock(engine, "ALTER TABLE datasets"), "the step to wait for the table lock")
        process.send_signal(sig)
        out, err = process.communicate(timeout=WAIT)
    finally:
        blocker.rollback()
        blocker.close()
    assert process.returncode == exit_codes.INTERRUPTED, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Interrupted by {sig.name}: "), err
    assert f"the database is still at {RELEASE_2_0}" in lines[0] and "Aborted" not in err
    assert pg_revision(engine) == [RELEASE_2_0]
    record = show(op_id, postgres_url, tmp_path)
    assert record["status"] == "interrupted" and sig.name in record["error"]["detail"], record
    after = run(["database", "migrate", "--lock-timeout", "0"], postgres_url, tmp_path)
    assert after.returncode == 0, after.stderr
    engine.dispose()


def test_kill9_after_commit_is_recorded_as_the_database_says(postgres_url: str, tmp_path: Path) -> None:
    """kill -9 after COMMIT but before the outcome is written: the next entry point records `succeeded` at head."""
    assert run(["operations", "list"], postgres_url, tmp_path).returncode == 0
    engine = pg_sync(postgres_url)
    victim = start(["database", "migrate"], postgres_url, tmp_path)
    blocker = engine.connect()
    try:
        op_id = until(lambda: pg_holding_op(engine), "the migration to hold its lock")
        # Hold the operation's row: the run's final UPDATE waits after its migration committed.
        blocker.execute(sa.text("SELECT id FROM maint_operations WHERE id = :id FOR UPDATE"), {"id": op_id}).all()
        until(lambda: pg_revision(engine) == [HEAD], "the migration to commit")
        victim.kill()
        victim.wait(WAIT)
    finally:
        blocker.rollback()
        blocker.close()
        victim.kill()
        victim.communicate()
    record = show(op_id, postgres_url, tmp_path)
    assert record["status"] == "succeeded", record
    assert record["result"]["recovered"] is True and record["result"]["database_revision"] == HEAD
    assert f"pid {victim.pid}" in record["result"]["detail"] and "committed" in record["result"]["detail"]
    engine.dispose()

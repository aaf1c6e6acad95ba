"""Migrations that meet trouble: refusals not replayed, plans only under the lock, the database's own message,
foreign databases refused, and per-step progress (CLI lines, HTTP ``progress``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
import structlog
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.cli.main import cli
from service.core.config import Settings
from service.db import locks
from service.db.revisions import Chain
from service.ops.migrate import migrate
from service.ops.migration_lock import MIGRATION_LOCK
from service.ops.results import MigrateRequest
from service.runtime import open_resources
from tests.support.http import ADMIN, http_settings, problem_type

pytestmark = pytest.mark.asyncio
Client = AsyncTestClient[Any]
HEAD = "580a6553186f"
SECOND_STEP = "82a5a88a3fa5"  # creates the workspaces table


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return http_settings(database_url, tmp_path, ARGILLA_MAINT_LOG_LEVEL="WARNING")


@pytest_asyncio.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as captured:
        yield captured


def sync_engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    driver = "postgresql+psycopg2" if parsed.get_backend_name() == "postgresql" else "sqlite"
    return sa.create_engine(parsed.set(drivername=driver), poolclass=sa.pool.NullPool)


def cli_run(args: list[str], url: str, home: Path) -> tuple[int, str, str]:
    env = {"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": str(home), "ARGILLA_MAINT_LOG_LEVEL": "ERROR"}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


async def post_migrate(client: Client, body: dict[str, Any] | None = None, /, **headers: str) -> Any:
    return await client.post("/migrate", json=body or {}, headers={**ADMIN, **headers})


async def test_a_409_retried_with_its_key_after_the_conflict_runs_and_refusals_leave_no_rows(
    client: Client, settings: Settings, logs: list[MutableMapping[str, Any]]
) -> None:
    """A stored refusal replayed forever would block a hook retrying with a fixed key; refusals would flood history."""
    assert (await client.get("/operations", headers=ADMIN)).status_code == 200  # history tables exist
    async with (
        open_resources(settings) as other,
        locks.hold(other.engine, MIGRATION_LOCK, holder="elsewhere", operation_id=None, timeout=0, ttl=60),
    ):
        refused = [await post_migrate(client, **{"Idempotency-Key": "deploy-42"}) for _ in range(3)]
        refused += [await post_migrate(client) for _ in range(40)]
    assert {r.status_code for r in refused} == {409}, [r.text for r in refused if r.status_code != 409]
    assert {problem_type(r) for r in refused} == {"operation-conflict"}
    assert (await client.get("/operations", headers=ADMIN)).json()["total"] == 0
    retried = await post_migrate(client, **{"Idempotency-Key": "deploy-42", "Prefer": "wait=60"})
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded", retried.text
    replay = await post_migrate(client, **{"Idempotency-Key": "deploy-42", "Prefer": "wait=60"})
    assert replay.json()["id"] == retried.json()["id"]  # a finished run is joined, not rerun
    assert (await client.get("/operations", headers=ADMIN)).json()["total"] == 1
    refusals = [e for e in logs if e.get("event") == "operation refused"]
    assert len(refusals) == 43 and {e["error_type"] for e in refusals} == {"operation-conflict"}
    metrics = (await client.get("/metrics", headers=ADMIN)).text
    assert 'argilla_maint_operations_total{kind="migrate",outcome="refused"} 43' in metrics


async def test_plan_race_between_two_migrates_never_errors(postgres_url: str, tmp_path: Path) -> None:
    """Planning before the lock read row counts of tables the other run was dropping (500 in 12 of 80 rounds)."""
    settings = http_settings(postgres_url, tmp_path, ARGILLA_MAINT_LOCK_TIMEOUT="60")
    async with open_resources(settings) as first, open_resources(settings) as second:
        for _ in range(12):
            await migrate(first, "setup", MigrateRequest())
            down = MigrateRequest(revision="1.13", allow_downgrade=True)
            outcomes = await asyncio.gather(migrate(first, "a", down), migrate(second, "b", down), return_exceptions=True)
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            assert not errors, errors
            assert sorted(len(o.plan.steps) for o in outcomes if not isinstance(o, BaseException))[0] == 0
        async with first.engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar_one() == "1e629a913727"


async def test_a_failed_step_carries_the_database_message_everywhere(
    client: Client, settings: Settings, tmp_path: Path, logs: list[MutableMapping[str, Any]]
) -> None:
    """'step X failed (ProgrammingError) ... see the log' without the log having it left operators guessing."""
    url = settings.database_url
    assert (await post_migrate(client, {"revision": "74694870197c"}, Prefer="wait=60")).json()["status"] == "succeeded"
    with sync_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE workspaces (id INTEGER PRIMARY KEY)")
    response = await post_migrate(client, Prefer="wait=60")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "failed", response.text
    error = body["error"]
    assert error["type"] == "migration-failed" and error["failed_revision"] == SECOND_STEP
    assert "already exists" in error["database_message"] and "workspaces" in error["database_message"]
    assert f"step {SECOND_STEP} failed: the database said: " in error["detail"] and "already exists" in error["detail"]
    assert "still at 74694870197c" in error["detail"]
    stored = (await client.get(f"/operations/{body['id']}", headers=ADMIN)).json()
    assert stored["error"] == error
    line = next(e for e in logs if e.get("event") == "operation finished" and e.get("outcome") == "failed")
    assert "already exists" in line["error_detail"]
    code, _, err = await asyncio.to_thread(cli_run, ["database", "migrate"], url, tmp_path)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith(f"Error: step {SECOND_STEP} failed: the database said:")
    assert "already exists" in lines[0] and "Traceback" not in err


async def test_a_database_with_tables_but_no_alembic_version_is_refused_before_step_one(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    """Pointed at another application's database, a migration ran step one and failed half-way in."""
    url = settings.database_url
    with sync_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
        conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    refused = await post_migrate(client, Prefer="wait=60")
    assert refused.status_code == 409 and problem_type(refused) == "unmanaged-database", refused.text
    detail = refused.json()["detail"]
    assert "2 table(s) (invoices, users) but no alembic_version" in detail and "refused before any step" in detail
    with sync_engine(url).connect() as conn:
        assert not sa.inspect(conn).has_table("alembic_version")  # nothing ran
    dry = await post_migrate(client, {"dry_run": True}, Prefer="wait=60")
    assert dry.status_code == 200 and dry.json()["status"] == "succeeded"
    warnings = dry.json()["result"]["plan"]["warnings"]
    assert len(warnings) == 1 and "no alembic_version" in warnings[0]
    code, out, _ = await asyncio.to_thread(cli_run, ["database", "migrate", "--dry-run"], url, tmp_path)
    assert code == 0 and "Warning: the database has 2 table(s) (invoices, users) but no alembic_version" in out
    code, _, err = await asyncio.to_thread(cli_run, ["database", "migrate"], url, tmp_path)
    assert code == 1 and err.strip().startswith("Error: the database has 2 table(s)")


async def test_cli_shows_each_step_as_it_starts_and_ends(settings: Settings, tmp_path: Path) -> None:
    """Printing nothing for 12 s and then every step at once leaves an operator unsure anything happens."""
    code, out, _ = await asyncio.to_thread(
        cli_run, ["database", "migrate", "--revision", "1.13"], settings.database_url, tmp_path
    )
    assert code == 0, out
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("step ")]
    steps = len(lines) // 2
    assert steps >= 10 and lines[0].startswith(f"step 1/{steps} upgrade   74694870197c") and "create users table ..." in lines[0]
    for i in range(steps):
        started, finished = lines[2 * i], lines[2 * i + 1]
        assert started.startswith(f"step {i + 1}/{steps} ") and started.endswith("...")
        assert finished.startswith(f"step {i + 1}/{steps} ") and "done in " in finished and "(elapsed " in finished
    code, out, _ = await asyncio.to_thread(cli_run, ["database", "migrate", "--json"], settings.database_url, tmp_path)
    assert code == 0 and json.loads(out)["operation"]["status"] == "succeeded"  # --json stays pure JSON


async def test_http_progress_names_the_current_step(postgres_url: str, tmp_path: Path) -> None:
    """While a step runs, GET /operations/{id} says which one (step i/N, revision, message), not just 'running'."""
    settings = http_settings(postgres_url, tmp_path)
    blocker = sync_engine(postgres_url).connect()
    async with AsyncTestClient(create_app(settings)) as client:
        assert (await post_migrate(client, {"revision": "1.13"}, Prefer="wait=60")).json()["status"] == "succeeded"
        # EXCLUSIVE lets the plan read alembic_version but holds the first step at its version update.
        blocker.exec_driver_sql("BEGIN")
        blocker.exec_driver_sql("LOCK TABLE alembic_version IN EXCLUSIVE MODE")
        try:
            started = await post_migrate(client)
            assert started.status_code == 202, started.text
            op_id = started.json()["id"]
            progress: dict[str, Any] = {}
            for _ in range(300):
                progress = (await client.get(f"/operations/{op_id}", headers=ADMIN)).json()["progress"] or {}
                if progress.get("event") == "started":
                    break
                await asyncio.sleep(0.1)
            assert progress.get("event") == "started" and progress["step"] == 1, progress
            first = Chain.load().plan("1e629a913727", HEAD)
            assert progress["revision"] == first[0].revision and progress["message"] == first[0].message
            assert progress["steps"] == len(first) and progress["direction"] == "upgrade"
        finally:
            blocker.exec_driver_sql("ROLLBACK")
            blocker.close()
        for _ in range(300):
            done = (await client.get(f"/operations/{op_id}", headers=ADMIN)).json()
            if done["status"] != "running":
                break
            await asyncio.sleep(0.1)
        assert done["status"] == "succeeded" and done["to_revision"] == HEAD and len(done["steps"]) == progress["steps"]

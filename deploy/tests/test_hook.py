"""The rendered migration Job's container, executed in the built image against a real PostgreSQL.

Each test renders the chart, takes the Job's container as Kubernetes would run it (command, args, env
resolved from the Secrets the values name, mounts, security context) and runs it with podman on loopback.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from deploy.tests.support import (
    VERSION,
    Pod,
    Ran,
    one,
    pod_spec,
    podman,
    podman_run_args,
    readable_files,
    render,
    run_rendered,
    started,
    wait_http,
    writable_dir,
)
from service.db.locks import advisory_key
from tests.support.postgres import free_port

HEAD = "580a6553186f"
RELEASE_2_0 = "237f7c674d74"
ADMIN_TOKEN = "deploy-test-admin-token-0123456789"
HOOK_TOKEN = "deploy-test-hook-token-9876543210"
# Short heartbeats so an operation whose process was killed is known dead within seconds.
FAST_HEARTBEAT = [
    {"name": "ARGILLA_MAINT_HEARTBEAT_SECONDS", "value": "1"},
    {"name": "ARGILLA_MAINT_STALE_AFTER_SECONDS", "value": "3"},
]


def sync_url(url: str) -> sa.URL:
    return sa.make_url(url).set(drivername="postgresql+psycopg2")


def revision_of(url: str) -> str | None:
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


def migrate_operations(url: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, status, actor, from_revision, to_revision, error, progress, idempotency_key "
                    "FROM maint_operations WHERE kind = 'migrate' ORDER BY created_at"
                )
            ).mappings()
            return [dict(r) for r in rows]
    finally:
        engine.dispose()


def host_migrate(url: str, revision: str, tmp_path: Path) -> None:
    """Move the database with the suite's own CLI (not the image): the state the next hook run finds."""
    env = {"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from service.cli.main import main; main()",
            "database",
            "migrate",
            "--revision",
            revision,
            "--allow-downgrade",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


class Hook:
    """The rendered migration Job of one release, runnable in the image."""

    def __init__(self, helm: Path, tmp_path: Path, database_url: str, values: dict[str, Any], release: str = "rel") -> None:
        self.job = one(render(helm, values, release=release), "Job", "migrate")
        self.spec = pod_spec(self.job)
        self.container = self.spec["containers"][0]
        self.pod = Pod(
            secrets={("argilla-db", "databaseUrl"): database_url},
            fields={"metadata.labels['batch.kubernetes.io/controller-uid']": str(uuid.uuid4())},
            volumes={"tmp": writable_dir(tmp_path, f"tmp-{uuid.uuid4().hex[:6]}")},
        )

    def run(self, timeout: float = 300) -> Ran:
        return run_rendered(
            self.container, self.spec["securityContext"], self.pod, name=f"am-hook-{uuid.uuid4().hex[:8]}", timeout=timeout
        )


@pytest.fixture
def exec_hook(helm: Path, image: str, postgres_url: str, tmp_path: Path) -> Hook:
    return Hook(helm, tmp_path, postgres_url, {"extraEnv": FAST_HEARTBEAT})


def test_fresh_database_is_migrated_to_head_then_a_rerun_is_a_noop(exec_hook: Hook, postgres_url: str) -> None:
    """Fresh database -> head (actor names the release and revision); a rerun succeeds and changes nothing."""
    first = exec_hook.run()
    assert first.code == 0, first.output
    assert revision_of(postgres_url) == HEAD
    second = exec_hook.run()
    assert second.code == 0, second.output
    assert revision_of(postgres_url) == HEAD
    operations = migrate_operations(postgres_url)
    assert [op["status"] for op in operations] == ["succeeded", "succeeded"]
    assert {op["actor"] for op in operations} == {"helm:rel:1"}
    assert operations[0]["from_revision"] is None and operations[1]["from_revision"] == HEAD


def test_database_moved_back_is_migrated_again_never_replayed(exec_hook: Hook, postgres_url: str, tmp_path: Path) -> None:
    """After an earlier run, a database moved back to 2.0 is migrated to head by the next run (not a replayed success)."""
    assert exec_hook.run().code == 0
    host_migrate(postgres_url, "2.0", tmp_path)
    assert revision_of(postgres_url) == RELEASE_2_0
    again = exec_hook.run()
    assert again.code == 0, again.output
    assert revision_of(postgres_url) == HEAD
    last = migrate_operations(postgres_url)[-1]
    assert last["status"] == "succeeded" and last["from_revision"] == RELEASE_2_0 and last["to_revision"] == HEAD


def test_wrong_database_url_fails_fast_with_the_final_exit_code(
    helm: Path, image: str, postgres_url: str, tmp_path: Path
) -> None:
    """A password the database refuses: the error is printed (password masked) and the exit status is final (3)."""
    wrong = sa.make_url(postgres_url).set(password="Wrong-Secret-77").render_as_string(hide_password=False)
    ran = Hook(helm, tmp_path, wrong, {}).run()
    final = one(render(helm, {}), "Job", "migrate")["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"]
    assert ran.code == 3 and ran.code in final, ran.output
    assert "Error: " in ran.output and "Wrong-Secret-77" not in ran.output and "***" in ran.output
    assert ran.seconds < 60


def test_unreachable_database_exits_transient(helm: Path, image: str, tmp_path: Path) -> None:
    """Nothing listening at the URL: the error is printed and the status (75) is one the Job retries."""
    url = f"postgresql://argilla:Pw-Unreachable-1@127.0.0.1:{free_port()}/argilla"
    ran = Hook(helm, tmp_path, url, {}).run()
    final = one(render(helm, {}), "Job", "migrate")["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"]
    assert ran.code == 75 and ran.code not in final, ran.output
    assert "cannot use the database at" in ran.output and "connection was refused" in ran.output, ran.output
    assert "Pw-Unreachable-1" not in ran.output


@contextlib.contextmanager
def migration_lock_held(url: str) -> Iterator[None]:
    """Another migrator holds the database's migration lock (the service's own PostgreSQL advisory lock)."""
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({advisory_key('migration')})")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({advisory_key('migration')})")
    engine.dispose()


def test_lock_held_waits_the_lock_timeout_then_exits_transient(helm: Path, image: str, postgres_url: str, tmp_path: Path) -> None:
    """While another migration holds the lock the Job waits --lock-timeout, then exits 75 (retried), nothing changed."""
    hook = Hook(helm, tmp_path, postgres_url, {"migration": {"lockTimeoutSeconds": 4}})
    assert hook.container["args"][hook.container["args"].index("--lock-timeout") + 1] == "4"
    with migration_lock_held(postgres_url):
        ran = hook.run()
    assert ran.code == 75, ran.output
    assert ran.seconds >= 4 and "lock" in ran.output
    assert revision_of(postgres_url) is None


@contextlib.contextmanager
def table_locked(url: str, table: str) -> Iterator[None]:
    """Hold an exclusive lock on one table, so a migration that alters it blocks there (mid-transaction)."""
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_migration_killed_at_the_deadline_leaves_a_valid_revision_and_is_marked_interrupted(
    exec_hook: Hook, postgres_url: str, tmp_path: Path
) -> None:
    """A Job pod killed mid-migration: the database stays at a valid revision; the next run migrates and marks it interrupted."""
    host_migrate(postgres_url, "2.0", tmp_path)
    name = f"am-hook-killed-{uuid.uuid4().hex[:6]}"
    with (
        table_locked(postgres_url, "datasets"),
        started(exec_hook.container, exec_hook.spec["securityContext"], exec_hook.pod, name=name),
    ):
        # The 2.0 -> 2.4 step alters datasets: the run holds the migration lock and waits inside its transaction.
        wait_until(
            lambda: any(
                op["status"] == "running" and (op["progress"] or {}).get("phase") for op in migrate_operations(postgres_url)[1:]
            ),
            120,
            "the hook to hold the migration lock",
        )
        podman("kill", "--signal", "KILL", name)  # the kubelet's last word at activeDeadlineSeconds
    assert revision_of(postgres_url) in (RELEASE_2_0, HEAD)
    killed = migrate_operations(postgres_url)[-1]
    assert killed["status"] == "running"
    time.sleep(4)  # past ARGILLA_MAINT_STALE_AFTER_SECONDS: its heartbeat has stopped
    rerun = exec_hook.run()
    assert rerun.code == 0, rerun.output
    assert revision_of(postgres_url) == HEAD
    settled = {op["id"]: op for op in migrate_operations(postgres_url)}[killed["id"]]
    assert settled["status"] == "interrupted", settled
    assert migrate_operations(postgres_url)[-1]["status"] == "succeeded"


@pytest.fixture
def service(helm: Path, image: str, postgres_url: str, tmp_path: Path) -> Iterator[str]:
    """The chart's Deployment container (http-mode values), serving on a free loopback port."""
    deployment = one(render(helm, {"migration": {"mode": "http"}}), "Deployment")
    spec = pod_spec(deployment)
    container = spec["containers"][0]
    port = free_port()
    container["env"] = [
        e if e["name"] != "ARGILLA_MAINT_PORT" else {"name": e["name"], "value": str(port)} for e in container["env"]
    ]
    tokens = f"deploy:{ADMIN_TOKEN}\nhook:{HOOK_TOKEN}\n"
    pod = Pod(
        secrets={("argilla-db", "databaseUrl"): postgres_url},
        volumes={
            "tmp": writable_dir(tmp_path, "server-tmp"),
            "tokens": readable_files(tmp_path, "server-tokens", {"tokens": tokens}),
        },
    )
    with started(container, spec["securityContext"], pod, name=f"am-http-server-{port}"):
        wait_http(f"http://127.0.0.1:{port}/readyz", timeout=120)
        yield f"http://127.0.0.1:{port}"


def http_hook(helm: Path, tmp_path: Path, base_url: str, values: dict[str, Any] | None = None) -> Hook:
    hook = Hook(helm, tmp_path, "unused", {"migration": {"mode": "http", **(values or {})}})
    docs = render(helm, {"migration": {"mode": "http", **(values or {})}})
    script = one(docs, "ConfigMap")["data"]
    tokens = f"deploy:{ADMIN_TOKEN}\nhook:{HOOK_TOKEN}\n"
    # The Service's DNS name does not resolve here: the only change is the base URL, to the loopback port.
    hook.container["env"] = [
        e if e["name"] != "HOOK_BASE_URL" else {"name": e["name"], "value": base_url} for e in hook.container["env"]
    ]
    hook.pod.volumes |= {
        "hook": readable_files(tmp_path, f"hook-{uuid.uuid4().hex[:6]}", script),
        "tokens": readable_files(tmp_path, f"hook-tokens-{uuid.uuid4().hex[:6]}", {"tokens": tokens}),
    }
    return hook


def test_http_mode_migrates_through_the_api_with_the_job_uid_as_key(
    helm: Path, service: str, postgres_url: str, tmp_path: Path
) -> None:
    """http mode: waits for the release's version, posts with the Job UID as key, polls to the end; a new Job migrates again."""
    hook = http_hook(helm, tmp_path, service)
    assert "ARGILLA_DATABASE_URL" not in {e["name"] for e in hook.container["env"]}
    ran = hook.run()
    assert ran.code == 0, ran.output
    assert f"version {VERSION}" in ran.output and revision_of(postgres_url) == HEAD
    job_uid = hook.pod.fields["metadata.labels['batch.kubernetes.io/controller-uid']"]
    first = migrate_operations(postgres_url)[-1]
    assert first["idempotency_key"] == f"job-{job_uid}" and first["status"] == "succeeded"
    retried = hook.run()  # another pod of the same Job joins (replays) its own operation
    assert retried.code == 0 and len(migrate_operations(postgres_url)) == 1, retried.output
    host_migrate(postgres_url, "2.0", tmp_path)
    next_job = http_hook(helm, tmp_path, service)  # a new Job: a new UID, never the old operation's answer
    ran = next_job.run()
    assert ran.code == 0, ran.output
    assert revision_of(postgres_url) == HEAD and migrate_operations(postgres_url)[-1]["from_revision"] == RELEASE_2_0


def test_http_mode_waits_bounded_for_its_own_version(helm: Path, service: str, postgres_url: str, tmp_path: Path) -> None:
    """A service answering with another version is never asked to migrate: the wait ends at its bound with 75."""
    hook = http_hook(helm, tmp_path, service, {"http": {"expectVersion": "9.9.9", "readyTimeoutSeconds": 3}})
    ran = hook.run()
    assert ran.code == 75 and "did not answer with version 9.9.9" in ran.output, ran.output
    assert revision_of(postgres_url) is None


def test_http_mode_prints_the_problem_of_a_refused_request(helm: Path, service: str, postgres_url: str, tmp_path: Path) -> None:
    """An unknown revision is a final failure (exit 1) and the problem's detail is printed."""
    ran = http_hook(helm, tmp_path, service, {"revision": "9.9"}).run()
    assert ran.code == 1 and "unknown-revision" in ran.output, ran.output


def test_rendered_container_arguments_are_what_podman_runs(exec_hook: Hook) -> None:
    """The podman command line carries the rendered command and args unchanged, as non-root with a read-only root."""
    args = podman_run_args(exec_hook.container, exec_hook.spec["securityContext"], exec_hook.pod, "x")
    assert args[-len(exec_hook.container["args"]) :] == exec_hook.container["args"]
    assert "--read-only" in args and "10001:10001" in args and json.dumps(args).count("ARGILLA_DATABASE_URL") == 1

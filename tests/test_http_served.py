"""A real ``argilla-maint serve`` process on loopback: concurrent migrates, SIGTERM, the --dev token."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.http import ADMIN, leaked, served
from tests.support.postgres import free_port

CLIENTS = 20


async def _hammer(url: str) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def one(n: int) -> httpx.Response:
            # Half behave like a retried hook (same key, same body); half are independent callers.
            headers = {**ADMIN, "Idempotency-Key": "helm-hook-1"} if n % 2 else dict(ADMIN)
            return await client.post("/migrate", json={}, headers=headers)

        return list(await asyncio.gather(*(one(n) for n in range(CLIENTS))))


async def _history(url: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=ADMIN) as client:
        for _ in range(600):
            page = (await client.get("/operations", params={"limit": 100})).json()
            if not any(op["status"] in ("queued", "running") for op in page["items"]):
                return list(page["items"])
            await asyncio.sleep(0.1)
    raise AssertionError("operations still running after 60 s")


@pytest.mark.asyncio
async def test_concurrent_migrates_run_exactly_once(database_url: str, tmp_path: Path) -> None:
    """20 concurrent POST /migrate: one migration executes, the rest get 409 or join it; no 5xx, no secret in the log."""
    with served(database_url, tmp_path) as server:
        responses = await _hammer(server.url)
        statuses = sorted(r.status_code for r in responses)
        assert all(s in (200, 202, 409) for s in statuses), [(r.status_code, r.text) for r in responses]
        history = await _history(server.url)
        executed = [op for op in history if op["kind"] == "migrate" and op["steps"]]
        assert len(executed) == 1 and executed[0]["status"] == "succeeded", history
        joined = [r for r in responses if r.status_code in (200, 202) and r.json()["id"] == executed[0]["id"]]
        keyed = {r.json()["id"] for r in responses if r.status_code in (200, 202) and r.json()["idempotency_key"]}
        # Refusals are not replayed: the keyed callers share one operation, or were all refused while it ran.
        assert len(keyed) <= 1 and joined
        async with httpx.AsyncClient(base_url=server.url, timeout=60, headers=ADMIN) as client:
            retry = await client.post("/migrate", json={}, headers={"Idempotency-Key": "helm-hook-1", "Prefer": "wait=30"})
        assert retry.status_code == 200 and retry.json()["status"] == "succeeded", retry.text
        assert keyed in (set(), {retry.json()["id"]})
        conflicts = [r.json() for r in responses if r.status_code == 409]
        assert all(c["type"].endswith("operation-conflict") for c in conflicts)
        assert server.stop() == 0
        log = server.log()
    assert not leaked(log) and '"event": "operation finished"' in log


def test_sigterm_interrupts_running_operations_after_grace(sqlite_url: str, tmp_path: Path) -> None:
    """SIGTERM stops the server cleanly (exit 0) and leaves no operation marked running."""
    with served(sqlite_url, tmp_path, ARGILLA_MAINT_SHUTDOWN_GRACE_SECONDS="1") as server:
        accepted = httpx.post(f"{server.url}/migrate", json={}, headers=ADMIN, timeout=30)
        assert accepted.status_code == 202
        assert server.stop() == 0
    import sqlite3

    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    statuses = [row[0] for row in db.execute("SELECT status FROM maint_operations")]
    assert statuses and all(s in ("succeeded", "interrupted") for s in statuses)


def test_dev_mode_prints_a_working_token_once(sqlite_url: str, tmp_path: Path) -> None:
    """``serve --dev`` makes a random admin token, prints it on stdout (not in the log) and accepts it."""
    port = free_port()
    env = {
        **os.environ,
        "ARGILLA_DATABASE_URL": sqlite_url,
        "ARGILLA_HOME_PATH": str(tmp_path),
        "ARGILLA_MAINT_TOKENS": "",
        "ARGILLA_MAINT_PORT": str(port),
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "argilla-maint"), "serve", "--dev"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        token = process.stdout.readline().decode().rsplit(" ", 1)[-1].strip()
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/operations", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert response.status_code == 200 and len(token) >= 32
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    assert token not in err.decode(), err.decode()
    events = [json.loads(line)["event"] for line in err.decode().splitlines() if line.startswith("{")]
    # The address it serves on is in the log, as a JSON line like every other.
    assert any(f"running on http://127.0.0.1:{port}" in event for event in events), events

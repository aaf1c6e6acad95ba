"""The cheap request path: memoised revisions JSON that still follows the database, and idle-only pool pings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import DBAPIError

from service.app import create_app
from service.db.engine import create_engine
from service.db.release_tags import RELEASE_TAGS
from service.ops.revisions import list_revisions
from service.runtime import open_resources
from tests.support.http import ADMIN, http_settings

pytestmark = pytest.mark.asyncio


async def test_revisions_json_follows_the_database_and_equals_the_operation(database_url: str, tmp_path: Path) -> None:
    """GET /revisions answers from a memo, yet its current revision moves with the database and its body is list_revisions'."""
    settings = http_settings(database_url, tmp_path)
    seen: list[Any] = []
    async with AsyncTestClient(create_app(settings)) as client:
        for target in (None, "1.13", "head", "2.0"):
            if target is not None:
                body = {"revision": target, "allow_downgrade": True}
                done = await client.post("/migrate", json=body, headers={**ADMIN, "Prefer": "wait=60"})
                assert done.status_code == 200 and done.json()["status"] == "succeeded", done.text
            response = await client.get("/revisions", headers=ADMIN)
            assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
            seen.append(response.json())
        async with open_resources(settings) as resources:
            expected = msgspec.to_builtins(await list_revisions(resources))
    assert [[c["revision"] for c in body["current"]] for body in seen] == [
        [],
        [RELEASE_TAGS["1.13"]],
        [RELEASE_TAGS["2.5"]],
        [RELEASE_TAGS["2.0"]],
    ]
    assert seen[-1] == expected
    assert seen[2]["current"][0]["is_head"] is True and seen[3]["current"][0]["tag"] == "2.0"


def _sync_engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    driver = "postgresql+psycopg2" if parsed.get_backend_name() == "postgresql" else "sqlite"
    return sa.create_engine(parsed.set(drivername=driver), poolclass=sa.pool.NullPool)


def _terminate(database_url: str, pid: int) -> None:
    admin = sa.create_engine(
        sa.make_url(database_url).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
    admin.dispose()


async def _backend_pid(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one())


@pytest.mark.parametrize("idle_ping_seconds", [0.0, 3600.0])
async def test_an_idle_pooled_connection_cut_by_the_server_is_pinged_and_replaced(
    postgres_url: str, tmp_path: Path, idle_ping_seconds: float
) -> None:
    """Without pre-ping on every checkout, a pooled connection idle past the threshold is still checked and replaced."""
    engine = create_engine(http_settings(postgres_url, tmp_path), idle_ping_seconds=idle_ping_seconds)
    try:
        first = await _backend_pid(engine)
        _terminate(postgres_url, first)
        if idle_ping_seconds == 0.0:
            assert await _backend_pid(engine) != first
        else:  # not idle long enough to be pinged: the cut connection is used and fails (what the ping prevents)
            with pytest.raises(DBAPIError):
                await _backend_pid(engine)
    finally:
        await engine.dispose()


async def test_operations_page_total_is_the_matching_count_on_every_page(database_url: str, tmp_path: Path) -> None:
    """The total rides on the page's rows: a page, a filtered page and a page past the end all report the matching count."""
    async with AsyncTestClient(create_app(http_settings(database_url, tmp_path))) as client:

        async def migrate_to(body: dict[str, str]) -> str:
            done = await client.post("/migrate", json=body, headers={**ADMIN, "Prefer": "wait=60"})
            assert done.status_code == 200, done.text
            return str(done.json()["status"])

        # A refusal (unknown revision) does no work and is not history; a failed step is: a table in the way.
        assert (await client.post("/migrate", json={"revision": "9.99"}, headers=ADMIN)).status_code == 422
        assert await migrate_to({"revision": "74694870197c"}) == "succeeded"
        with _sync_engine(database_url).begin() as conn:
            conn.exec_driver_sql("CREATE TABLE workspaces (id INTEGER PRIMARY KEY)")
        assert await migrate_to({}) == "failed"
        with _sync_engine(database_url).begin() as conn:
            conn.exec_driver_sql("DROP TABLE workspaces")
        assert await migrate_to({}) == "succeeded"

        async def page(**params: Any) -> tuple[int, int]:
            found = (await client.get("/operations", params=params, headers=ADMIN)).json()
            return len(found["items"]), found["total"]

        assert await page() == (3, 3)
        assert await page(limit=1, offset=1) == (1, 3)
        assert await page(status="succeeded") == (2, 2)
        assert await page(status="failed") == (1, 1)
        assert await page(status="failed", offset=5) == (0, 1)
        assert await page(kind="reindex") == (0, 0)

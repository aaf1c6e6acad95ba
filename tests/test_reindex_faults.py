"""Reindexes raced or starved, on real PostgreSQL and real search nodes: refusals are 409 at once, and a
flood-stage (read-only-allow-delete) block is waited out with its cause kept."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import structlog
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.core.config import load_settings
from service.core.errors import SearchEngineUnavailable
from service.ops.migrate import migrate
from service.ops.reindex import ReindexRequest, reindex
from service.ops.results import MigrateRequest
from service.runtime import open_resources
from service.search.schema import index_name
from tests.support.argilla_seed import seed
from tests.support.http import ADMIN, env_for, problem_type
from tests.support.search_nodes import SearchNode

pytestmark = [pytest.mark.asyncio, pytest.mark.search]
CLI = str(Path(sys.executable).parent / "argilla-maint")
RECORDS = 3000
WAIT = 120.0


def env(url: str, home: Path, search_url: str, node: SearchNode, **extra: str) -> dict[str, str]:
    values = {
        "ARGILLA_ELASTICSEARCH": search_url,
        "ARGILLA_SEARCH_ENGINE": node.engine,
        "ARGILLA_MAINT_REINDEX_BATCH_SIZE": "100",
        "ARGILLA_MAINT_REINDEX_CONCURRENCY": "1",
        "ARGILLA_MAINT_REINDEX_CHECKPOINT_RECORDS": "200",
        "ARGILLA_MAINT_SEARCH_TIMEOUT": "5",
        "ARGILLA_MAINT_SEARCH_BUSY_RETRY_SECONDS": "5",
    }
    return env_for(url, home, **{**values, **extra})


@pytest_asyncio.fixture
async def dataset(postgres_url: str, tmp_path: Path, search_node: SearchNode) -> AsyncIterator[str]:
    """A PostgreSQL database at head with RECORDS records in one published dataset; its index deleted after."""
    settings = load_settings(env(postgres_url, tmp_path, search_node.url, search_node))
    async with open_resources(settings) as resources:
        await migrate(resources, "test", MigrateRequest())
        seeded = await asyncio.to_thread(seed, postgres_url, count=RECORDS)
        yield str(seeded.dataset_id)
        if search_node.is_running():
            for name in await resources.search.indices(f"{index_name(seeded.dataset_id)}*"):
                await resources.search.delete_index(name)


async def test_concurrent_reindex_posts_one_runs_the_rest_409_at_once(
    postgres_url: str, tmp_path: Path, search_node: SearchNode, dataset: str
) -> None:
    """20 concurrent POST /reindex/{id}, then 10 of POST /reindex: one 202 each time, the rest 409 at once; no accepted one fails."""
    settings = load_settings(env(postgres_url, tmp_path, search_node.url, search_node))
    async with AsyncTestClient(create_app(settings)) as client:
        responses = await asyncio.gather(*(client.post(f"/reindex/{dataset}", headers=ADMIN) for _ in range(20)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [202] + [409] * 19, [(r.status_code, r.text) for r in responses]
        assert all(problem_type(r) == "operation-conflict" for r in responses if r.status_code == 409)
        accepted = next(r for r in responses if r.status_code == 202).json()["id"]
        deadline = time.monotonic() + WAIT
        while (record := (await client.get(f"/operations/{accepted}", headers=ADMIN)).json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        assert record["status"] == "succeeded", record
        # The same for POST /reindex (every dataset): it excludes any other reindex, so one 202 and the rest 409.
        everything = await asyncio.gather(*(client.post("/reindex", headers=ADMIN) for _ in range(10)))
        assert sorted(r.status_code for r in everything) == [202] + [409] * 9, [(r.status_code, r.text) for r in everything]
        assert all(problem_type(r) == "operation-conflict" for r in everything if r.status_code == 409)
        accepted = next(r for r in everything if r.status_code == 202).json()["id"]
        while (record := (await client.get(f"/operations/{accepted}", headers=ADMIN)).json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline + WAIT
            await asyncio.sleep(0.2)
        assert record["status"] == "succeeded", record


async def test_a_flood_stage_block_keeps_its_cause_and_is_waited_out(
    postgres_url: str, tmp_path: Path, search_node: SearchNode, dataset: str
) -> None:
    """A read-only-allow-delete (flood-stage) block: the failure names it; lifted during the backoff, the run passes."""
    name = index_name(dataset)
    block = {"index.blocks.read_only_allow_delete": True}
    settings = load_settings(
        env(postgres_url, tmp_path, search_node.url, search_node, ARGILLA_MAINT_SEARCH_BUSY_RETRY_SECONDS="2")
    )
    async with open_resources(settings) as resources:
        assert (await reindex(resources, "test", ReindexRequest(dataset_id=dataset))).operation.status == "succeeded"
        await resources.search.put_settings(name, block)
        with pytest.raises(SearchEngineUnavailable) as caught:
            await reindex(resources, "test", ReindexRequest(dataset_id=dataset))
        assert "read-only-allow-delete" in caught.value.detail or "flood" in caught.value.detail, caught.value.detail
    patient = load_settings(
        env(postgres_url, tmp_path, search_node.url, search_node, ARGILLA_MAINT_SEARCH_BUSY_RETRY_SECONDS="90")
    )
    async with open_resources(patient) as resources:

        async def lift_later() -> None:
            await asyncio.sleep(3)
            await resources.search.put_settings(name, {"index.blocks.read_only_allow_delete": None})

        with structlog.testing.capture_logs() as logs:
            lifter = asyncio.create_task(lift_later())
            result = await reindex(resources, "test", ReindexRequest(dataset_id=dataset))
            await lifter
        assert result.operation.status == "succeeded" and result.datasets[0].records == RECORDS
        backoffs = [entry for entry in logs if "backing off" in entry["event"]]
        assert backoffs and any("flood" in entry["reason"] or "read-only-allow-delete" in entry["reason"] for entry in backoffs)

"""Documents, mapping and settings of every reindex path compared with Argilla 2.8's, on a rich dataset."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import pytest_asyncio

from service.core.config import load_settings
from service.db import records as repo
from service.ops.migrate import migrate
from service.ops.reindex import ReindexRequest, reindex
from service.ops.reindex.feed import feed, uses_sql
from service.ops.results import MigrateRequest
from service.runtime import open_resources
from service.search.documents import record_document
from service.search.engine import SearchEngine
from service.search.schema import index_name
from tests.support.rich_dataset import Rich, as_source, seed_rich
from tests.support.search_nodes import SearchNode
from tests.test_reindex import settings_env

pytestmark = [pytest.mark.search]

# Settings every index has but that name the index itself (not part of what Argilla configures).
PER_INDEX = {"index.uuid", "index.creation_date", "index.provided_name", "index.version.created"}
# Private settings a _clone writes on its target, which no API can remove (refused as unknown or final).
CLONE_KEEPS = {
    "index.routing_partition_size",
    "index.resize.source.name",
    "index.resize.source.uuid",
    "index.routing.allocation.initial_recovery._id",
    "index.version.upgraded",
}


class RichEnv(msgspec.Struct):
    resources: Any
    rich: Rich
    url: str

    @property
    def index(self) -> str:
        return index_name(self.rich.dataset_id)

    @property
    def search(self) -> SearchEngine:
        engine: SearchEngine = self.resources.search
        return engine


@pytest_asyncio.fixture
async def rich(postgres_url: str, tmp_path: Path, search_node: SearchNode) -> AsyncIterator[RichEnv]:
    """A database at head holding only the rich dataset, and a search node."""
    async with open_resources(load_settings(settings_env(postgres_url, tmp_path, search_node))) as resources:
        await migrate(resources, "test", MigrateRequest())
        seeded = await asyncio.to_thread(seed_rich, postgres_url)
        env = RichEnv(resources, seeded, postgres_url)
        try:
            yield env
        finally:
            await resources.search.delete_index(env.index)


async def sources(env: RichEnv) -> dict[str, dict[str, Any]]:
    await env.search.refresh(env.index)
    found = await env.search.search(env.index, {"size": 100, "query": {"match_all": {}}})
    return {hit["_id"]: hit["_source"] for hit in found["hits"]["hits"]}


def assert_same_documents(actual: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    """Field by field, so a failure names the record and the key that differ."""
    assert sorted(actual) == sorted(expected)
    for record_id, want in expected.items():
        got = actual[record_id]
        assert sorted(got) == sorted(want), f"{record_id}: keys"
        for key, value in want.items():
            assert got[key] == value, f"{record_id}: {key}: {got[key]!r} != {value!r}"


async def settings_and_mapping(env: RichEnv) -> tuple[dict[str, Any], dict[str, Any]]:
    state = await env.search.state(env.index)
    assert state.kind == "index"
    return {k: v for k, v in state.settings.items() if k not in PER_INDEX}, state.mappings


@pytest.mark.asyncio
async def test_built_documents_equal_argilla_field_by_field(rich: RichEnv) -> None:
    """Both builders (PostgreSQL's SQL and the Python one) send Argilla 2.8's document: nulls, empties, every type."""
    dataset = await repo.get_dataset(rich.resources.engine, rich.rich.dataset_id)
    assert dataset is not None and uses_sql(rich.resources, dataset)
    from_sql: dict[str, dict[str, Any]] = {}
    async for batch in feed(rich.resources, dataset, batch_size=2):
        for record_id, body, _ in batch.rows:
            assert b"\n" not in body
            from_sql[record_id] = msgspec.json.decode(body)
    assert list(from_sql) == rich.rich.inserted_order
    assert_same_documents(from_sql, rich.rich.documents)
    from_python = {
        str(record.id): msgspec.json.decode(msgspec.json.encode(record_document(record, dataset)))
        async for records in repo.stream_records(rich.resources.engine, dataset.id, batch_size=2)
        for record in records
    }
    assert list(from_python) == rich.rich.inserted_order
    assert_same_documents(from_python, rich.rich.documents)


@pytest.mark.asyncio
async def test_every_path_writes_argilla_documents_settings_and_mapping(rich: RichEnv) -> None:
    """Created, in place and rebuilt end with the same documents, settings and mapping (Argilla's)."""
    expected = {rid: as_source(doc) for rid, doc in rich.rich.documents.items()}
    request = ReindexRequest(dataset_id=str(rich.rich.dataset_id))
    first = await reindex(rich.resources, "test", request)
    assert first.datasets[0].strategy == "created"
    assert first.datasets[0].caught_up == 0  # nothing changed after the pass's own snapshot
    assert_same_documents(await sources(rich), expected)
    created_settings, created_mapping = await settings_and_mapping(rich)
    assert created_settings.get("index.refresh_interval") is None
    assert created_settings["index.max_result_window"] == "500000"

    again = await reindex(rich.resources, "test", request)
    assert again.datasets[0].strategy == "in_place"
    assert_same_documents(await sources(rich), expected)
    assert await settings_and_mapping(rich) == (created_settings, created_mapping)

    # An index with a mapping ours cannot extend is rebuilt, swapped and cloned back to rg.<id>.
    await rich.search.delete_index(rich.index)
    await rich.search.create_index(rich.index, {"number_of_shards": 1}, {"properties": {"fields": {"type": "keyword"}}})
    rebuilt = await reindex(rich.resources, "test", request)
    assert rebuilt.datasets[0].strategy == "rebuilt"
    assert_same_documents(await sources(rich), expected)
    settings, mapping = await settings_and_mapping(rich)
    assert mapping == created_mapping
    # Every setting of the created index, same value; beyond them only what _clone itself writes (README).
    assert {k: settings.get(k) for k in created_settings} == created_settings
    extra = {k: v for k, v in settings.items() if k not in created_settings}
    assert set(extra) <= CLONE_KEEPS, extra
    assert extra.get("index.routing_partition_size", "1") == "1"  # the default, written out by the resize


@pytest.mark.asyncio
async def test_in_place_rebuild_expunges_deletes_so_scores_match_a_fresh_index(rich: RichEnv) -> None:
    """After an in-place rebuild no deleted document is left, and text scores equal those of a fresh build."""
    request = ReindexRequest(dataset_id=str(rich.rich.dataset_id))
    query = {"size": 100, "query": {"match": {"fields.text": "alpha only zero"}}}

    async def scores() -> dict[str, float]:
        found = await rich.search.search(rich.index, query)
        return {hit["_id"]: hit["_score"] for hit in found["hits"]["hits"]}

    await reindex(rich.resources, "test", request)
    fresh = await scores()
    assert len(fresh) == 3
    for _ in range(3):
        outcome = (await reindex(rich.resources, "test", request)).datasets[0]
        assert outcome.strategy == "in_place"
    _, stats = await rich.resources.search.request("GET", f"/{rich.index}/_stats/docs")
    assert stats["_all"]["primaries"]["docs"]["deleted"] == 0
    assert outcome.phase_seconds["expunge_deletes"] >= 0
    assert await scores() == fresh


@pytest.mark.asyncio
async def test_documents_are_fed_in_argilla_inserted_at_order(rich: RichEnv) -> None:
    """Argilla feeds records by inserted_at; _seq_no (the annotator's default queue order) follows it, not the id."""
    await reindex(rich.resources, "test", ReindexRequest(dataset_id=str(rich.rich.dataset_id)))
    await rich.search.refresh(rich.index)
    found = await rich.search.search(rich.index, {"size": 100, "seq_no_primary_term": True, "_source": False})
    by_seq = [hit["_id"] for hit in sorted(found["hits"]["hits"], key=lambda hit: hit["_seq_no"])]
    assert by_seq == rich.rich.inserted_order and by_seq == sorted(by_seq, reverse=True)

"""Legacy (Argilla 1.x) label schemas and workspace moves on real nodes, with state built from Argilla 1.23's shapes.

The records indices are created from the mappings and settings Argilla 1.23.1 wrote (reference JSON);
on Elasticsearch their ``lowercase`` tokenizer (module analysis-common, absent from its test
distribution) is replaced by ``standard`` + a ``lowercase`` filter; OpenSearch runs with the real module.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import string
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
import pytest_asyncio
import sqlalchemy as sa

from service.core.config import load_settings
from service.core.errors import (
    DatasetNotFound,
    InvalidRequest,
    LegacyNameTaken,
    NoLegacyData,
    OperationConflict,
    ReindexFailed,
    SearchEngineUnavailable,
    UnknownWorkspace,
)
from service.db import history, locks
from service.ops.context import Resources
from service.ops.legacy.common import dataset_lock
from service.ops.legacy.labels import legacy_labels
from service.ops.legacy.requests import LegacyLabelsRequest, LegacyWorkspacesRequest
from service.ops.legacy.status import legacy_status
from service.ops.legacy.workspaces import legacy_workspaces
from service.ops.migrate import migrate
from service.ops.results import MigrateRequest
from service.runtime import open_resources
from service.search.legacy.labels import labels_by_aggregation, labels_by_scan
from tests.support.argilla_seed import sync_engine
from tests.support.fault_proxy import fault_proxy
from tests.support.legacy_seed import LegacyState, build_legacy_state, expected_labels
from tests.support.search_nodes import SearchNode

pytestmark = [pytest.mark.search]
WORKSPACES = ("team", "legacy")
OLD = ("old-multi", "old-ner", "old-tc")


@dataclasses.dataclass
class Env:
    resources: Resources
    node: SearchNode
    state: LegacyState
    env: dict[str, str]

    @property
    def search(self) -> Any:
        return self.resources.search


def add_workspaces(url: str, names: tuple[str, ...]) -> None:
    now = datetime(2024, 1, 1)
    engine = sync_engine(url)
    try:
        with engine.begin() as conn:
            for name in names:
                conn.execute(
                    sa.text("INSERT INTO workspaces (id, name, inserted_at, updated_at) VALUES (:id, :name, :now, :now)"),
                    {"id": uuid.uuid4().hex if "sqlite" in url else uuid.uuid4(), "name": name, "now": now},
                )
    finally:
        engine.dispose()


def random_namespace() -> str:
    return "t" + "".join(random.choice(string.ascii_lowercase) for _ in range(8))


def env_vars(url: str, tmp_path: Path, node: SearchNode, namespace: str | None) -> dict[str, str]:
    env = {
        "ARGILLA_DATABASE_URL": url,
        "ARGILLA_HOME_PATH": str(tmp_path),
        "ARGILLA_ELASTICSEARCH": node.url,
        "ARGILLA_SEARCH_ENGINE": node.engine,
        "ARGILLA_MAINT_LOG_LEVEL": "WARNING",
    }
    return env | ({"ARGILLA_NAMESPACE": namespace} if namespace else {})


@contextlib.asynccontextmanager
async def environment(
    url: str, tmp_path: Path, node: SearchNode, *, namespace: str | None, datasets: tuple[str, ...] | None = None
) -> AsyncIterator[Env]:
    env = env_vars(url, tmp_path, node, namespace)
    async with open_resources(load_settings(env)) as resources:
        await migrate(resources, "test", MigrateRequest(revision="head"))
        await asyncio.to_thread(add_workspaces, url, WORKSPACES)
        state = await build_legacy_state(resources.search, node.engine, namespace=namespace, datasets=datasets)
        try:
            yield Env(resources, node, state, env)
        finally:
            prefix = f"{namespace}.ar.*" if namespace else "ar.*"
            with contextlib.suppress(Exception):
                for index in await resources.search.indices(prefix):
                    await resources.search.delete_index(index)


@pytest_asyncio.fixture
async def legacy(
    request: pytest.FixtureRequest, postgres_url: str, tmp_path: Path, search_node: SearchNode
) -> AsyncIterator[Env]:
    """PostgreSQL migrated to head with workspaces team and legacy; every dataset document, namespaced, and the
    records indices the test's ``legacy_datasets`` marker names (default: all)."""
    marker = request.node.get_closest_marker("legacy_datasets")
    datasets = tuple(marker.args) if marker else None
    async with environment(postgres_url, tmp_path, search_node, namespace=random_namespace(), datasets=datasets) as env:
        yield env


async def dataset_doc(env: Env, dataset_id: str) -> dict[str, Any] | None:
    doc = await env.search.get_document(env.state.datasets_index, dataset_id)
    return None if doc is None else doc.source


async def snapshot(env: Env) -> dict[str, Any]:
    """Every legacy document (datasets and records) with its sequence number and version, and index settings."""
    taken: dict[str, Any] = {}
    prefix = f"{env.state.namespace}.ar.*" if env.state.namespace else "ar.*"
    for index in await env.search.indices(prefix):
        body = {"size": 10000, "seq_no_primary_term": True, "version": True, "sort": [{"id": "asc"}]}
        hits = (await env.search.search(index, body))["hits"]["hits"]
        state = await env.search.state(index)
        settings = {k: v for k, v in state.settings.items() if not k.startswith("index.routing")}
        taken[index] = {"hits": hits, "settings": settings, "mappings": state.mappings}
    return taken


def labels_of(outcome: Any) -> list[str]:
    return [label["name"] for label in outcome.schema_after]


def by_id(result: Any) -> dict[str, Any]:
    return {d.id: d for d in result.datasets}


@pytest.mark.legacy_datasets("team.tc-ui-big")
@pytest.mark.asyncio
async def test_big_dataset_gets_every_label_including_single_record_and_prediction_only(legacy: Env) -> None:
    """5,000 records: labels of single records and second-ranked predictions all reach the schema (a sample would miss them)."""
    result = await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets=["team/tc-ui-big"]))
    (outcome,) = result.datasets
    records = legacy.state.records["team.tc-ui-big"]
    in_records = expected_labels(records)
    assert len(records) == 5000 and {"rare-a1", "rare-a2", "rare-a3", "rare-p1", "rare-p2"} <= in_records
    ui = ["positive", "ui-only-1", "ui-only-2"]
    assert labels_of(outcome) == ui + sorted(in_records - set(ui))
    assert outcome.action == "updated" and outcome.records == 5000 and outcome.added_from_ui == ui
    before = legacy.state.documents["team.tc-ui-big"]
    stored = await dataset_doc(legacy, "team.tc-ui-big")
    assert stored is not None
    assert stored["settings"] == {"label_schema": {"labels": [{"id": n, "name": n} for n in labels_of(outcome)]}}
    assert stored["last_updated"] == before["last_updated"] and stored["metadata"] == before["metadata"]
    # predicted_as holds only the top label: aggregating it alone would have missed the prediction-only labels.
    index = legacy.state.records_index("team.tc-ui-big")
    top = await legacy.search.search(index, {"size": 0, "aggs": {"p": {"terms": {"field": "predicted_as", "size": 100}}}})
    assert "rare-p1" not in {b["key"] for b in top["aggregations"]["p"]["buckets"]}
    assert result.operation.status == "succeeded" and result.operation.kind == "legacy-labels"


@pytest.mark.legacy_datasets("team.tc-ui-big", "team.ner-ui")
@pytest.mark.asyncio
async def test_aggregation_and_full_scan_agree(legacy: Env) -> None:
    """The aggregation (kept for speed) returns exactly what a full _source scan of every record reads."""
    for dataset_id, task in (("team.tc-ui-big", "TextClassification"), ("team.ner-ui", "TokenClassification")):
        index = legacy.state.records_index(dataset_id)
        state = await legacy.search.state(index)
        aggregated = await labels_by_aggregation(legacy.search, index, task, state.mappings)
        scanned = await labels_by_scan(legacy.search, index, task, page=700)
        assert aggregated == scanned == expected_labels(legacy.state.records[dataset_id])


@pytest.mark.legacy_datasets("team.tc-schema-ui", "team.tc-schema")
@pytest.mark.asyncio
async def test_existing_schema_kept_with_descriptions_and_extended(legacy: Env) -> None:
    """A saved schema keeps order, ids and descriptions; record labels are appended; UI labels only reported."""
    result = await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets=["team/tc-schema-ui", "team.tc-schema"]))
    outcomes = by_id(result)
    original = legacy.state.documents["team.tc-schema-ui"]["settings"]["label_schema"]["labels"]
    extended = outcomes["team.tc-schema-ui"]
    assert extended.schema_after[: len(original)] == original
    assert extended.schema_after[len(original) :] == [{"id": "from-records", "name": "from-records"}]
    assert extended.ui_labels_not_added == ["ui-extra"] and extended.added == ["from-records"]
    stored = await dataset_doc(legacy, "team.tc-schema-ui")
    assert stored is not None and stored["settings"]["label_schema"]["labels"] == extended.schema_after
    assert outcomes["team.tc-schema"].action == "unchanged"


@pytest.mark.asyncio
async def test_token_multilabel_ui_only_and_skips(legacy: Env) -> None:
    """Token entities, multi-label classes, UI-only labels (no records index) land; Text2Text and label-less are skipped."""
    result = await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets="all"))
    outcomes = by_id(result)
    ner = outcomes["team.ner-ui"]
    ner_records = expected_labels(legacy.state.records["team.ner-ui"])
    assert {"RARE-E1", "RARE-E2", "RARE-E3"} <= ner_records
    assert labels_of(ner) == ["PER", "UI-ENT", *sorted(ner_records - {"PER", "UI-ENT"})]
    multi = outcomes["team.tc-ui-multi"]
    multi_records = expected_labels(legacy.state.records["team.tc-ui-multi"])
    assert {"rare-m1", "rare-m2", "rare-m3"} <= multi_records
    assert labels_of(multi) == ["sports", "ui-multi-only", *sorted(multi_records - {"sports", "ui-multi-only"})]
    assert labels_of(outcomes["team.ner-ui-empty"]) == ["PER", "UI-ONLY-ENT"] and outcomes["team.ner-ui-empty"].records == 0
    assert labels_of(outcomes["old-tc"])[:2] == ["positive", "ui-old-only"]
    skipped = {s.id: s.reason for s in result.skipped}
    assert set(skipped) == {"team.t2t-plain", "team.tc-plain"}
    assert "Text2Text" in skipped["team.t2t-plain"] and "no labels" in skipped["team.tc-plain"]
    for dataset_id, outcome in outcomes.items():
        stored = await dataset_doc(legacy, dataset_id)
        assert stored is not None and stored["settings"]["label_schema"]["labels"] == outcome.schema_after


@pytest.mark.asyncio
async def test_second_run_writes_nothing(legacy: Env) -> None:
    """Idempotent: after a first run, a second leaves every document and index byte-equal (no last_updated bump)."""
    await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets="all"))
    before = await snapshot(legacy)
    again = await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets="all"))
    assert {d.action for d in again.datasets} == {"unchanged"} and all(not d.added for d in again.datasets)
    assert await snapshot(legacy) == before


@pytest.mark.asyncio
async def test_dry_run_writes_nothing_and_reports_the_plan(legacy: Env) -> None:
    """A dry run reports before/after and labels added per dataset, and changes no document or index."""
    before = await snapshot(legacy)
    result = await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets="all", dry_run=True))
    outcomes = by_id(result)
    assert outcomes["team.tc-ui-big"].action == "would-update" and outcomes["team.tc-ui-big"].schema_before is None
    assert "rare-p1" in outcomes["team.tc-ui-big"].added_from_records
    assert await snapshot(legacy) == before
    assert result.operation.result is not None and result.operation.result["dry_run"] is True


@pytest.mark.legacy_datasets("team.ner-ui")
@pytest.mark.asyncio
async def test_remove_ui_key_on_request_only(legacy: Env) -> None:
    """remove_ui_key drops the old UI's metadata entry (other metadata kept); without it the key stays."""
    await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets=["team/ner-ui"], remove_ui_key=True))
    stored = await dataset_doc(legacy, "team.ner-ui")
    assert (
        stored is not None
        and stored["metadata"] == []
        and stored["settings"]["label_schema"]["labels"][:2]
        == [
            {"id": "PER", "name": "PER"},
            {"id": "UI-ENT", "name": "UI-ENT"},
        ]
    )


@pytest.mark.legacy_datasets()
@pytest.mark.asyncio
async def test_unknown_dataset_and_missing_selection_are_refused(legacy: Env) -> None:
    """An unknown dataset is a 404 naming it; no selection is a 400 saying what is accepted."""
    with pytest.raises(DatasetNotFound) as missing:
        await legacy_labels(legacy.resources, "test", LegacyLabelsRequest(datasets=["team/nope"]))
    assert "team.nope" in missing.value.detail
    with pytest.raises(InvalidRequest) as empty:
        await legacy_labels(legacy.resources, "test", LegacyLabelsRequest())
    assert '"all"' in empty.value.detail


async def search_count(env: Env, index: str, query: dict[str, Any]) -> int:
    answer = await env.search.search(index, {"size": 0, "track_total_hits": True, "query": query})
    return int(answer["hits"]["total"]["value"])


@pytest.mark.legacy_datasets("old-tc", "old-ner", "old-multi")
@pytest.mark.asyncio
async def test_workspace_less_datasets_move_with_every_indexed_field(legacy: Env) -> None:
    """Each old-* dataset becomes legacy.<name>: all records, searchable by annotated_as/predicted_by, settings as before."""
    source_index = legacy.state.records_index("old-tc")
    source_state = await legacy.search.state(source_index)
    rare = await search_count(legacy, source_index, {"term": {"annotated_as": "rare-o1"}})
    predicted = await search_count(legacy, source_index, {"exists": {"field": "predicted_by"}})
    assert rare == 1 and predicted > 0
    status = await legacy_status(legacy.resources)
    assert status.without_workspace == list(OLD)
    result = await legacy_workspaces(legacy.resources, "test", LegacyWorkspacesRequest(target_workspace="legacy"))
    assert [(d.source_id, d.target_id, d.action) for d in result.datasets] == [(n, f"legacy.{n}", "moved") for n in OLD]
    target_index = legacy.state.records_index("legacy.old-tc")
    assert await legacy.search.count(target_index) == len(legacy.state.records["old-tc"])
    assert await search_count(legacy, target_index, {"term": {"annotated_as": "rare-o1"}}) == 1
    assert await search_count(legacy, target_index, {"exists": {"field": "predicted_by"}}) == predicted
    target_state = await legacy.search.state(target_index)
    assert target_state.mappings == source_state.mappings
    for key in ("index.number_of_replicas", "index.number_of_shards"):
        assert target_state.settings[key] == source_state.settings[key]
    assert {k: v for k, v in target_state.settings.items() if k.startswith("index.analysis")} == {
        k: v for k, v in source_state.settings.items() if k.startswith("index.analysis")
    }
    assert target_state.settings.get("index.blocks.write") in (None, "false")
    for name in OLD:
        assert await dataset_doc(legacy, name) is None
        assert (await legacy.search.state(legacy.state.records_index(name))).kind == "missing"
        moved = await dataset_doc(legacy, f"legacy.{name}")
        original = legacy.state.documents[name]
        assert moved is not None and (moved["id"], moved["workspace"], moved["owner"]) == (f"legacy.{name}", "legacy", "legacy")
        metadata = {e["key"]: json.loads(e["value"]) for e in moved["metadata"]}
        assert metadata["copied_from"] == name and metadata["source_workspace"] == original.get("workspace")
        assert moved["created_at"] == original["created_at"] and moved["task"] == original["task"]
    assert (await legacy_status(legacy.resources)).without_workspace == []


@pytest.mark.legacy_datasets("old-tc", "old-ner")
@pytest.mark.asyncio
async def test_clash_and_missing_workspace_are_refused_with_nothing_changed(legacy: Env) -> None:
    """A taken <ws>.<name> is a 409 naming it; a workspace missing from SQL is a 422; nothing is touched."""
    taken = {**legacy.state.documents["team.tc-plain"], "id": "team.old-ner", "name": "old-ner"}
    await legacy.search.index_document(legacy.state.datasets_index, "team.old-ner", taken)
    before = await snapshot(legacy)
    with pytest.raises(LegacyNameTaken) as clash:
        await legacy_workspaces(legacy.resources, "test", LegacyWorkspacesRequest(target_workspace="team"))
    assert "old-ner" in clash.value.detail and "team" in clash.value.detail
    with pytest.raises(UnknownWorkspace) as unknown:
        await legacy_workspaces(legacy.resources, "test", LegacyWorkspacesRequest(target_workspace="nowhere"))
    assert "nowhere" in unknown.value.detail
    assert await snapshot(legacy) == before


@pytest.mark.legacy_datasets("old-tc")
@pytest.mark.asyncio
async def test_dry_run_move_changes_nothing(legacy: Env) -> None:
    """A dry run lists what would move, with record counts, and writes nothing."""
    before = await snapshot(legacy)
    request = LegacyWorkspacesRequest(target_workspace="legacy", datasets=["old-tc"], dry_run=True)
    result = await legacy_workspaces(legacy.resources, "test", request)
    assert [(d.target_id, d.action, d.records) for d in result.datasets] == [
        ("legacy.old-tc", "would-move", 700 if legacy.node.engine == "opensearch" else 1000)
    ]
    assert await snapshot(legacy) == before


@pytest.mark.legacy_datasets("old-tc")
@pytest.mark.asyncio
async def test_move_interrupted_after_clone_converges_on_rerun(legacy: Env) -> None:
    """The original's delete fails after the clone: the original stays whole and writable, and a rerun finishes."""
    source = legacy.state.records_index("old-tc")

    def fail_delete(method: str, path: str) -> int | None:
        return 500 if method == "DELETE" and path == f"/{source}" else None

    request = LegacyWorkspacesRequest(target_workspace="legacy", datasets=["old-tc"])
    async with fault_proxy(legacy.node.url, fail_delete) as (url, proxy):
        settings = load_settings(legacy.env | {"ARGILLA_ELASTICSEARCH": url})
        async with open_resources(settings) as faulty:
            with pytest.raises(ReindexFailed):
                await legacy_workspaces(faulty, "test", request)
    assert proxy.failed == [("DELETE", f"/{source}")]
    target = legacy.state.records_index("legacy.old-tc")
    clone_uuid = (await legacy.search.state(target)).settings["index.uuid"]
    assert await dataset_doc(legacy, "old-tc") is not None
    assert (await legacy.search.state(source)).settings.get("index.blocks.write") in (None, "false")
    again = await legacy_workspaces(legacy.resources, "test", request)
    assert [(d.action, d.records) for d in again.datasets] == [("resumed", len(legacy.state.records["old-tc"]))]
    assert (await legacy.search.state(target)).settings["index.uuid"] == clone_uuid  # verified, not re-cloned
    assert await dataset_doc(legacy, "old-tc") is None and (await legacy.search.state(source)).kind == "missing"
    assert await search_count(legacy, target, {"term": {"annotated_as": "rare-o1"}}) == 1


@pytest.mark.legacy_datasets("old-tc")
@pytest.mark.asyncio
async def test_keep_original_leaves_the_original_whole_and_writable(legacy: Env) -> None:
    """keep_original: the copy is made and verified, the original index and document stay, with no write block."""
    source, target = legacy.state.records_index("old-tc"), legacy.state.records_index("legacy.old-tc")
    records = len(legacy.state.records["old-tc"])
    request = LegacyWorkspacesRequest(target_workspace="legacy", datasets=["old-tc"], keep_original=True)
    result = await legacy_workspaces(legacy.resources, "test", request)
    assert [(d.action, d.records) for d in result.datasets] == [("moved", records)]
    assert await legacy.search.count(source) == records and await legacy.search.count(target) == records
    assert (await legacy.search.state(source)).settings.get("index.blocks.write") in (None, "false")
    assert (await legacy.search.state(target)).settings.get("index.blocks.write") in (None, "false")
    assert await dataset_doc(legacy, "old-tc") == legacy.state.documents["old-tc"]
    moved = await dataset_doc(legacy, "legacy.old-tc")
    assert moved is not None and moved["workspace"] == "legacy"


@pytest.mark.legacy_datasets("old-tc")
@pytest.mark.asyncio
async def test_a_busy_dataset_or_a_running_migration_refuses_at_once(legacy: Env) -> None:
    """Another operation on the dataset, or a migration, holds its lock: 409 at once, nothing changed, no history row."""
    engine = legacy.resources.engine
    request = LegacyWorkspacesRequest(target_workspace="legacy", datasets=["old-tc"])
    labels = LegacyLabelsRequest(datasets=["old-tc"])
    before = await snapshot(legacy)
    for name, shared in ((dataset_lock("old-tc"), False), ("migration", False)):
        async with locks.hold(engine, name, holder="another-process", operation_id=None, timeout=5, ttl=60, shared=shared):
            with pytest.raises(OperationConflict) as busy:
                await legacy_workspaces(legacy.resources, "test", request, lock_timeout=0)
            assert busy.value.status == 409
            if name == "migration":
                with pytest.raises(OperationConflict):
                    await legacy_labels(legacy.resources, "test", labels, lock_timeout=0)
    assert await snapshot(legacy) == before
    assert (await history.list_operations(engine, kind="legacy-workspaces", limit=10))[1] == 0
    again = await legacy_workspaces(legacy.resources, "test", request, lock_timeout=0)
    assert [d.action for d in again.datasets] == ["moved"]


@pytest.mark.legacy_datasets("old-tc")
@pytest.mark.asyncio
async def test_clone_not_made_by_us_is_a_clash(legacy: Env) -> None:
    """A target index that no recorded move of ours made is refused, even if it is a clone of the source."""
    source, target = legacy.state.records_index("old-tc"), legacy.state.records_index("legacy.old-tc")
    await legacy.search.put_settings(source, {"index.blocks.write": True})
    await legacy.search.clone(source, target, {"index.number_of_replicas": 0})
    await legacy.search.put_settings(source, {"index.blocks.write": None})
    with pytest.raises(LegacyNameTaken) as clash:
        await legacy_workspaces(legacy.resources, "test", LegacyWorkspacesRequest(target_workspace="legacy", datasets=["old-tc"]))
    assert target in clash.value.detail
    assert await dataset_doc(legacy, "old-tc") is not None


@pytest.mark.asyncio
async def test_no_legacy_data_and_no_engine(sqlite_url: str, tmp_path: Path, search_node: SearchNode) -> None:
    """No ar.datasets: status says "no legacy data" and operations are 404; no engine configured: 503."""
    env = env_vars(sqlite_url, tmp_path, search_node, random_namespace())
    async with open_resources(load_settings(env)) as resources:
        status = await legacy_status(resources)
        assert not status.legacy_data and status.message.startswith("no legacy data")
        with pytest.raises(NoLegacyData):
            await legacy_labels(resources, "test", LegacyLabelsRequest(datasets="all"))
    bare = {k: v for k, v in env.items() if k != "ARGILLA_ELASTICSEARCH"}
    async with open_resources(load_settings(bare)) as resources:
        with pytest.raises(SearchEngineUnavailable):
            await legacy_status(resources)
        with pytest.raises(SearchEngineUnavailable):
            await legacy_workspaces(resources, "test", LegacyWorkspacesRequest(target_workspace="legacy"))


@pytest.mark.asyncio
async def test_sqlite_and_default_names(sqlite_url: str, tmp_path: Path, search_node: SearchNode) -> None:
    """Without ARGILLA_NAMESPACE the indices are ar.datasets / ar.dataset.<id>; SQLite's workspaces serve the move."""
    async with environment(sqlite_url, tmp_path, search_node, namespace=None, datasets=("old-tc",)) as env:
        assert env.state.datasets_index == "ar.datasets"
        moved = await legacy_workspaces(env.resources, "test", LegacyWorkspacesRequest(target_workspace="team"))
        assert [d.target_index for d in moved.datasets] == [None, None, "ar.dataset.team.old-tc"]
        labels = await legacy_labels(env.resources, "test", LegacyLabelsRequest(datasets=["team/old-tc"]))
        assert "rare-o1" in labels_of(labels.datasets[0])


@pytest.mark.legacy_datasets("team.tc-ui-big", "old-tc")
@pytest.mark.asyncio
async def test_http_status_labels_workspaces_and_history(legacy: Env) -> None:
    """GET /legacy, both POSTs (202 + Location, Prefer: wait, Idempotency-Key, problems) and history with the actor."""
    from litestar.testing import AsyncTestClient

    from service.app import create_app
    from tests.support.http import ADMIN, READER, TOKENS_ENV

    settings = load_settings(legacy.env | {"ARGILLA_MAINT_TOKENS": TOKENS_ENV, "ARGILLA_MAINT_MAX_WAIT_SECONDS": "120"})
    wait = {**ADMIN, "Prefer": "wait=120"}
    async with AsyncTestClient(create_app(settings)) as client:
        status = (await client.get("/legacy", headers=READER)).json()
        assert status["legacy_data"] is True and status["without_workspace"] == list(OLD)
        assert "team.tc-ui-big" in status["with_ui_key"] and "team.tc-ui-big" in status["without_label_schema"]
        empty = await client.post("/legacy/labels", headers=ADMIN)
        assert empty.status_code == 400 and empty.json()["type"].endswith(":invalid-request")
        unknown_field = await client.post("/legacy/labels", headers=ADMIN, json={"datasets": "all", "dryrun": True})
        assert unknown_field.status_code == 422 and unknown_field.json()["type"].endswith(":invalid-body")
        assert (await client.post("/legacy/labels", headers=READER, json={"datasets": "all"})).status_code == 403
        dry = await client.post("/legacy/labels", headers=wait, json={"datasets": ["team/tc-ui-big"], "dry_run": True})
        assert dry.status_code == 200 and dry.json()["result"]["datasets"][0]["action"] == "would-update"
        started = await client.post("/legacy/labels", headers={**ADMIN, "Idempotency-Key": "legacy-1"}, json={"datasets": "all"})
        assert started.status_code == 202 and started.headers["location"] == f"/operations/{started.json()['id']}"
        done = await client.get(started.headers["location"], headers=ADMIN)
        while done.json()["status"] in ("queued", "running"):
            await asyncio.sleep(0.2)
            done = await client.get(started.headers["location"], headers=ADMIN)
        assert done.json()["status"] == "succeeded"
        replay = await client.post("/legacy/labels", headers={**ADMIN, "Idempotency-Key": "legacy-1"}, json={"datasets": "all"})
        assert replay.status_code == 200 and replay.json()["id"] == started.json()["id"]
        missing = await client.post("/legacy/workspaces", headers=ADMIN, json={"target_workspace": "nowhere"})
        assert missing.status_code == 422 and missing.json()["type"].endswith(":unknown-workspace")
        assert "nowhere" in missing.json()["detail"]
        moved = await client.post("/legacy/workspaces", headers=wait, json={"target_workspace": "legacy"})
        body = moved.json()
        assert moved.status_code == 200 and body["status"] == "succeeded", body
        assert [d["target_id"] for d in body["result"]["datasets"]] == [f"legacy.{n}" for n in OLD]
        clash = await client.post("/legacy/workspaces", headers=ADMIN, json={"target_workspace": "legacy", "datasets": ["x"]})
        assert clash.status_code == 404 and clash.json()["type"].endswith(":dataset-not-found")
        history = (await client.get("/operations", params={"kind": "legacy-labels"}, headers=ADMIN)).json()
        # The dry run and the real run are history; the refusals (400, 404, 422) did no work and are not.
        assert {op["actor"] for op in history["items"]} == {"admin"} and history["total"] == 2
        assert {op["status"] for op in history["items"]} == {"succeeded"}
        kinds = (await client.get("/operations", params={"kind": "legacy-workspaces"}, headers=ADMIN)).json()
        assert [op["status"] for op in kinds["items"]] == ["succeeded"]


@pytest.mark.legacy_datasets("team.tc-ui-big", "old-tc")
@pytest.mark.asyncio
async def test_cli_status_labels_workspaces_and_history(legacy: Env) -> None:
    """`legacy status|labels|workspaces` print results, errors are one `Error:` line (exit 1), usage errors exit 2."""
    from click.testing import CliRunner

    from service.cli.main import cli

    runner = CliRunner()

    async def run(*args: str) -> Any:
        return await asyncio.to_thread(runner.invoke, cli, list(args), env=legacy.env, catch_exceptions=False)

    status = await run("legacy", "status")
    assert status.exit_code == 0 and "old-tc" in status.stdout and "needs: labels, workspace" in status.stdout
    assert (await run("legacy", "labels")).exit_code == 2
    dry = await run("legacy", "labels", "--all", "--dry-run", "--json")
    assert dry.exit_code == 0 and msgspec.json.decode(dry.stdout)["dry_run"] is True
    fixed = await run("legacy", "labels", "--dataset", "team/tc-ui-big")
    assert fixed.exit_code == 0 and "team/tc-ui-big: updated" in fixed.stdout and "rare-p1" in fixed.stdout
    refused = await run("legacy", "workspaces", "--target", "nowhere")
    assert refused.exit_code == 1 and refused.stderr.strip().startswith("Error:") and "nowhere" in refused.stderr
    moved = await run("legacy", "workspaces", "--target", "legacy", "--dataset", "old-tc", "--json")
    assert moved.exit_code == 0, moved.stderr
    assert [d["target_id"] for d in msgspec.json.decode(moved.stdout)["datasets"]] == ["legacy.old-tc"]
    history = await run("operations", "list", "--kind", "legacy-workspaces", "--json")
    items = msgspec.json.decode(history.stdout)["items"]
    # The refused move (unknown workspace) did no work and is not history.
    assert [op["status"] for op in items] == ["succeeded"] and all(op["actor"].startswith("cli") for op in items)

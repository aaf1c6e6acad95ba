"""Operation: rebuild the search index of one or every published dataset from SQL, without an empty-search window.

For each ready dataset (drafts have no index in Argilla and are skipped), ``rg.<id>`` is
(see ``strategy``):

* missing -> created with Argilla's 2.x mapping, then filled;
* a concrete index whose mapping accepts ours (put_mapping succeeds) and whose shard count matches ->
  rebuilt in place: every record is re-``index``ed by ``_id`` (searches keep the old document until
  the new one lands);
* otherwise -> a new index ``rg.<id>.rebuild-<op>`` is filled, then one atomic ``_aliases`` request
  removes the old index and points the alias ``rg.<id>`` at the new one (searches flip, no gap), and
  the alias is turned back into a concrete index by ``_clone`` (``swap``).

Then a catch-up pass re-indexes records changed since the pass started (``catch_up``), and the
index is checked against SQL: counts, and a merge of the sorted id streams when they differ
(``verify``). ``dataset.reindex_dataset`` reads as that algorithm.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from uuid import UUID

import msgspec

from service.core.errors import DatasetNotFound, OperationConflict, SearchEngineUnavailable, UnsupportedSchema
from service.db import history
from service.db import records as repo
from service.db.records import Dataset
from service.db.release_tags import RELEASE_TAGS
from service.ops.context import Resources
from service.ops.history_schema import ensure_history_schema
from service.ops.migration_lock import MIGRATION_LOCK
from service.ops.operation_locks import operation_lock
from service.ops.recording import Recorder, final_record, recorded
from service.ops.reindex.dataset import reindex_dataset
from service.ops.reindex.fast_fill import FAST_FILL, refresh_pace
from service.ops.reindex.job import DatasetJob
from service.ops.reindex.progress import Progress, ProgressListener
from service.ops.reindex.results import DatasetOutcome, ReindexRequest, ReindexResult, SkippedDataset
from service.ops.revisions import database_heads
from service.search.engine import SearchEngine

__all__ = [
    "FAST_FILL",
    "DatasetOutcome",
    "ReindexRequest",
    "ReindexResult",
    "SkippedDataset",
    "refresh_pace",
    "reindex",
    "reindex_resource",
]

# The 2.x document needs records.status, which this release added.
RELEASE_2_0 = RELEASE_TAGS["2.0"]
Started = Callable[[str], None]
REINDEX_LOCK = "reindex"


def reindex_resource(request: ReindexRequest) -> str:
    """What a reindex operates on, as recorded in history."""
    return f"dataset:{request.dataset_id}" if request.dataset_id else "datasets"


async def reindex(
    resources: Resources,
    actor: str,
    request: ReindexRequest,
    *,
    lock_timeout: float | None = None,
    operation_id: str | None = None,
    on_started: Started | None = None,
    on_progress: ProgressListener | None = None,
) -> ReindexResult:
    """Reindex ``request.dataset_id`` (or all published datasets), recorded in history as kind ``reindex``."""
    await ensure_history_schema(resources)
    timeout = resources.settings.lock_timeout if lock_timeout is None else lock_timeout
    async with recorded(
        resources,
        kind="reindex",
        actor=actor,
        resource=reindex_resource(request),
        parameters=msgspec.to_builtins(request),
        operation_id=operation_id,
    ) as recorder:
        progress = Progress(recorder, on_progress)
        outcomes, skipped = await _reindex(resources, recorder, request, timeout, on_started or (lambda _id: None), progress)
        recorder.result = {"datasets": msgspec.to_builtins(outcomes), "skipped": msgspec.to_builtins(skipped)}
    return ReindexResult(await final_record(resources, recorder.id), outcomes, skipped)


async def _reindex(
    resources: Resources,
    recorder: Recorder,
    request: ReindexRequest,
    timeout: float,
    on_started: Started,
    progress: Progress,
) -> tuple[list[DatasetOutcome], list[SkippedDataset]]:
    await check_schema(resources)
    search = configured_search(resources)
    ready, skipped = await _select(resources, request)
    progress.start(ready, skipped)
    outcomes: list[DatasetOutcome] = []
    single = request.dataset_id is not None
    # Every lock is taken before on_started, so a refusal is a 409 at once (never a 202 that fails later):
    # a reindex of all datasets excludes any other reindex; one dataset's excludes only that dataset's.
    async with contextlib.AsyncExitStack() as held:
        await held.enter_async_context(_lock(resources, recorder, MIGRATION_LOCK, timeout, shared=True))
        await held.enter_async_context(_lock(resources, recorder, REINDEX_LOCK, timeout, shared=single))
        if single:
            await held.enter_async_context(_lock(resources, recorder, dataset_lock(request.dataset_id), timeout, shared=False))
        recorder.accept(on_started)
        # Only now, inside the operation: starting one never waits on the engine (a hung node included).
        await search.health()
        for dataset in ready:
            async with contextlib.AsyncExitStack() as per_dataset:
                if not single:
                    await per_dataset.enter_async_context(
                        _lock(resources, recorder, dataset_lock(str(dataset.id)), timeout, shared=False)
                    )
                outcome = await reindex_dataset(DatasetJob.create(resources, search, dataset, recorder.id, progress))
            outcomes.append(outcome)
            progress.finish_dataset()
    return outcomes, skipped


def dataset_lock(dataset_id: str | None) -> str:
    """The lock one dataset's reindex (or repair) holds."""
    return f"dataset:{dataset_id}"


async def check_schema(resources: Resources) -> None:
    """The 2.x document needs records.status: the database must be at release 2.0 or later."""
    heads = await database_heads(resources)
    if not heads:
        raise UnsupportedSchema("the database has no Argilla schema; migrate it to 2.0 or later, then reindex")
    chain = resources.chain
    for head in heads:
        if not chain.knows(head):
            raise UnsupportedSchema(
                f"the database is at revision {head}, unknown to this tool; cannot tell "
                "whether it has Argilla's 2.x record layout"
            )
        if RELEASE_2_0 not in chain.lineage(head):
            raise UnsupportedSchema(
                f"the database is at revision {head}, before release 2.0 ({RELEASE_2_0}); the 2.x index layout "
                "needs records.status: migrate to 2.0 or later first",
                revision=head,
                required=RELEASE_2_0,
            )


def configured_search(resources: Resources) -> SearchEngine:
    """The configured engine, without calling it (readiness and reindexes call it with their own deadlines)."""
    search: SearchEngine | None = resources.search
    if search is None:
        raise SearchEngineUnavailable(
            "no search engine configured; set ARGILLA_ELASTICSEARCH (and ARGILLA_SEARCH_ENGINE)", configured=False
        )
    return search


async def _select(resources: Resources, request: ReindexRequest) -> tuple[list[Dataset], list[SkippedDataset]]:
    if request.dataset_id is not None:
        candidates = [await _one_dataset(resources, request.dataset_id)]
    else:
        candidates = await repo.list_datasets(resources.engine)
    ready = [d for d in candidates if d.is_ready]
    skipped = [SkippedDataset(str(d.id), d.name, d.status) for d in candidates if not d.is_ready]
    return ready, skipped


async def _one_dataset(resources: Resources, dataset_id: str) -> Dataset:
    try:
        wanted = UUID(dataset_id)
    except ValueError:
        raise DatasetNotFound(f"dataset {dataset_id!r} not found: not a dataset id (a UUID)") from None
    found = await repo.get_dataset(resources.engine, wanted)
    if found is None:
        raise DatasetNotFound(f"dataset with id={dataset_id} not found", dataset_id=dataset_id)
    return found


def _lock(
    resources: Resources, recorder: Recorder, name: str, timeout: float, *, shared: bool
) -> AbstractAsyncContextManager[None]:
    return operation_lock(resources, recorder, name, timeout, shared=shared, busy=reindex_conflict)


async def reindex_conflict(resources: Resources, own_id: str, name: str) -> OperationConflict:
    """An ``OperationConflict`` naming the running reindex that holds ``name`` (or saying what is held)."""
    what = "every dataset" if name == REINDEX_LOCK else name.replace("dataset:", "dataset ")
    active = await history.active_on_kind(resources.engine, "reindex")
    running = [op for op in active if op.id != own_id and op.status == "running"]
    if running:
        op = running[0]
        since = (op.started_at or op.created_at).isoformat()
        return OperationConflict(
            f"operation {op.id} (reindex of {op.resource} by {op.actor}, running since {since}) holds {what}; "
            "wait for it to finish (GET /operations/{id}) or pass a lock timeout",
            operation_id=op.id,
            operation_url=f"/operations/{op.id}",
            running_since=since,
        )
    return OperationConflict(f"another reindex holds {what}; wait for it to finish or pass a lock timeout")

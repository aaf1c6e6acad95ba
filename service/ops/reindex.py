"""Operation: rebuild the search index of one or every published dataset from SQL, without an empty-search window.

For each ready dataset (drafts have no index in Argilla and are skipped), ``rg.<id>`` is:

* missing -> created with Argilla's 2.x mapping, then filled;
* a concrete index whose mapping accepts ours (put_mapping succeeds) and whose shard count matches ->
  rebuilt in place: every record is re-``index``ed by ``_id`` (searches keep the old document until
  the new one lands);
* otherwise -> a new index ``rg.<id>.rebuild-<op>`` is filled, then one atomic ``_aliases`` request
  removes the old index and points the alias ``rg.<id>`` at the new one (searches flip, no gap).
  Argilla deletes and updates ``rg.<id>`` by name, which an alias does not allow, so the alias is
  finally turned into a concrete index by ``_clone``: the only moment ``rg.<id>`` does not resolve
  (measured, reported as ``gap_seconds``).

Then a catch-up pass re-indexes records changed since the pass started, a sweep merges the sorted
SQL ids with the sorted index ids (deletes stale documents, adds missing ones) and the counts are
compared with SQL before success.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID

import msgspec
import structlog

from service.core.errors import (
    DatasetNotFound,
    InvalidDatasetId,
    OperationConflict,
    ReindexFailed,
    SearchEngineUnavailable,
    UnsupportedSchema,
)
from service.core.operation_record import OperationRecord
from service.db import history, locks
from service.db import records as repo
from service.db.records import Dataset
from service.ops.context import Resources
from service.ops.history_schema import ensure_history_schema
from service.ops.migration_lock import MIGRATION_LOCK, conflict
from service.ops.recording import Recorder, final_record, recorded
from service.ops.revisions import database_heads
from service.search.bulk import BulkWriter
from service.search.documents import record_document
from service.search.engine import IndexState, SearchEngine
from service.search.mappings import index_mappings, index_settings
from service.search.scan import ids_in_order
from service.search.schema import index_name

log = structlog.get_logger("service.reindex")

RELEASE_2_0 = "237f7c674d74"
# Argilla stamps updated_at with its own clock: look back this far when catching up on concurrent writes.
CLOCK_SKEW = timedelta(seconds=30)
SWEEP_BATCH = 1000
RESUME_LOOKBACK = 50
FAST_FILL = {"index.refresh_interval": "-1", "index.number_of_replicas": 0}
Started = Callable[[str], None]
ProgressListener = Callable[[dict[str, Any]], None]
Strategy = Literal["created", "in_place", "rebuilt"]
T = TypeVar("T")


class ReindexRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One dataset (its id), or every published dataset when ``dataset_id`` is omitted."""

    dataset_id: str | None = None

    def __post_init__(self) -> None:
        # Validated before anything else (engine, schema, locks): Argilla's dataset ids are UUIDs.
        if self.dataset_id is None:
            return
        try:
            canonical = str(UUID(self.dataset_id))
        except ValueError:
            raise InvalidDatasetId(
                "the dataset id is not a UUID; accepted: a dataset id as Argilla shows it, "
                "e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6"
            ) from None
        msgspec.structs.force_setattr(self, "dataset_id", canonical)


class DatasetOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What the reindex did to one dataset's index."""

    dataset_id: str
    name: str
    index: str
    strategy: Strategy
    records: int
    indexed: int
    caught_up: int
    stale_deleted: int
    missing_indexed: int
    seconds: float
    docs_per_second: float
    gap_seconds: float | None = None
    phase_seconds: dict[str, float] = {}
    resumed_after: str | None = None


class SkippedDataset(msgspec.Struct, frozen=True):
    dataset_id: str
    name: str
    status: str
    reason: str = "draft datasets have no index in Argilla (it is created when the dataset is published)"


class ReindexResult(msgspec.Struct, frozen=True):
    operation: OperationRecord
    datasets: list[DatasetOutcome]
    skipped: list[SkippedDataset]


def reindex_resource(request: ReindexRequest) -> str:
    """What a reindex operates on, as recorded in history."""
    return f"dataset:{request.dataset_id}" if request.dataset_id else "datasets"


def utcnow_naive() -> datetime:
    """Argilla's timestamps are naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


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
    search = await reachable_search(resources)
    ready, skipped = await _select(resources, request)
    progress.start(ready, skipped)
    outcomes: list[DatasetOutcome] = []
    async with _lock(resources, recorder, MIGRATION_LOCK, timeout, shared=True):
        on_started(recorder.id)
        for dataset in ready:
            async with _lock(resources, recorder, f"dataset:{dataset.id}", timeout, shared=False):
                outcome = await DatasetReindex(resources, search, dataset, recorder.id, progress).run()
            outcomes.append(outcome)
            progress.finish_dataset(outcome)
    return outcomes, skipped


async def check_schema(resources: Resources) -> None:
    """The 2.x document needs records.status: the database must be at release 2.0 (237f7c674d74) or later."""
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


async def reachable_search(resources: Resources) -> SearchEngine:
    """The configured engine, after a cluster-health call (``GET /`` is not allowed everywhere)."""
    search: SearchEngine | None = resources.search
    if search is None:
        raise SearchEngineUnavailable("no search engine configured; set ARGILLA_ELASTICSEARCH (and ARGILLA_SEARCH_ENGINE)")
    await search.health()
    return search


async def _select(resources: Resources, request: ReindexRequest) -> tuple[list[Dataset], list[SkippedDataset]]:
    if request.dataset_id is not None:
        try:
            wanted = UUID(request.dataset_id)
        except ValueError:
            raise DatasetNotFound(f"dataset {request.dataset_id!r} not found: not a dataset id (a UUID)") from None
        found = await repo.get_dataset(resources.engine, wanted)
        if found is None:
            raise DatasetNotFound(f"dataset with id={request.dataset_id} not found", dataset_id=request.dataset_id)
        candidates = [found]
    else:
        candidates = await repo.list_datasets(resources.engine)
    ready = [d for d in candidates if d.is_ready]
    skipped = [SkippedDataset(str(d.id), d.name, d.status) for d in candidates if not d.is_ready]
    return ready, skipped


@contextlib.asynccontextmanager
async def _lock(resources: Resources, recorder: Recorder, name: str, timeout: float, *, shared: bool) -> AsyncIterator[None]:
    try:
        async with locks.hold(
            resources.engine,
            name,
            holder=resources.holder,
            operation_id=recorder.id,
            timeout=timeout,
            ttl=resources.settings.lock_ttl,
            shared=shared,
        ):
            yield
    except locks.LockUnavailable:
        if name == MIGRATION_LOCK:
            raise await conflict(resources, recorder.id) from None
        raise OperationConflict(f"another reindex of {name} is running; wait for it or pass a lock timeout") from None


class Progress:
    """Counts kept in the operation's progress (flushed by its heartbeat) and pushed to a listener (CLI bar)."""

    def __init__(self, recorder: Recorder, listener: ProgressListener | None) -> None:
        self.recorder = recorder
        self.listener = listener
        self.state: dict[str, Any] = {}
        self._started = time.perf_counter()

    def start(self, ready: list[Dataset], skipped: list[SkippedDataset]) -> None:
        self.state = {
            "datasets_total": len(ready),
            "datasets_done": 0,
            "current_dataset": None,
            "records_done": 0,
            "records_total": 0,
            "docs_per_second": 0.0,
            "phase": "starting",
            "skipped_drafts": [s.dataset_id for s in skipped],
        }
        self._publish()

    def dataset(self, dataset: Dataset, total: int) -> None:
        self._started = time.perf_counter()
        self.state.pop("checkpoint", None)
        self.state.update(
            current_dataset=str(dataset.id),
            current_name=dataset.name,
            records_done=0,
            records_total=total,
            docs_per_second=0.0,
            phase="indexing",
        )
        self._publish()

    def phase(self, phase: str) -> None:
        self.state["phase"] = phase
        self._publish()

    def written(self, count: int) -> None:
        if self.state.get("phase") != "indexing":
            return
        self.state["records_done"] += count
        elapsed = max(time.perf_counter() - self._started, 1e-6)
        self.state["docs_per_second"] = round(self.state["records_done"] / elapsed, 1)
        self._publish()

    async def checkpoint(self, dataset: Dataset, index: str, last_id: UUID, pass_start: datetime) -> None:
        """Every record up to ``last_id`` is in ``index``: stored at once, so a failed run can be resumed."""
        self.state["checkpoint"] = {
            "dataset_id": str(dataset.id),
            "index": index,
            "last_id": str(last_id),
            "pass_start": pass_start.isoformat(),
        }
        self._publish()
        await self.recorder.flush()

    def finish_dataset(self, outcome: DatasetOutcome) -> None:
        self.state["datasets_done"] += 1
        self.state["phase"] = "done"
        self._publish()

    def _publish(self) -> None:
        self.recorder.progress = dict(self.state)
        if self.listener is not None:
            self.listener(dict(self.state))


class DatasetReindex:
    """One dataset's rebuild: choose the strategy, fill, catch up, make ``rg.<id>`` concrete, sweep, verify."""

    def __init__(
        self, resources: Resources, search: SearchEngine, dataset: Dataset, operation_id: str, progress: Progress
    ) -> None:
        settings = resources.settings.search
        self.resources = resources
        self.search = search
        self.dataset = dataset
        self.progress = progress
        self.name = index_name(dataset.id)
        self.temp = f"{self.name}.rebuild-{operation_id.replace('-', '')[:12]}"
        self.operation_id = operation_id
        self.settings = index_settings(
            search.engine, shards=settings.shards, replicas=settings.replicas, total_fields_limit=settings.total_fields_limit
        )
        self.mappings = index_mappings(search.engine, dataset)
        self.counts = {"indexed": 0, "caught_up": 0, "stale_deleted": 0, "missing_indexed": 0}
        self.gap: float | None = None
        self.laps: dict[str, float] = {}
        self._last = 0.0

    async def run(self) -> DatasetOutcome:
        began = self._last = time.perf_counter()
        total = await repo.count_records(self.resources.engine, self.dataset.id)
        self.progress.dataset(self.dataset, total)
        pass_start = utcnow_naive() - CLOCK_SKEW
        state = await self.search.state(self.name)
        await self._drop_leftovers(keep=state.concrete)
        strategy, target = await self._prepare(state)
        resume = await self._resume_point() if strategy == "in_place" and target == self.name else None
        after = None
        if resume is not None:
            after, pass_start = resume
        log.info(
            "reindexing dataset",
            dataset_id=str(self.dataset.id),
            index=self.name,
            strategy=strategy,
            target=target,
            records=total,
            resumed_after=None if after is None else str(after),
        )
        try:
            self.counts["indexed"] = await self._fill(
                target, after=after, checkpoints_from=pass_start if target == self.name else None
            )
        except BaseException:
            await self._abandon(strategy, target)
            raise
        self._lap("fill")
        if strategy != "in_place":
            await self._restore_settings(target)
        if strategy == "rebuilt":
            await self.search.refresh(target)
            serving = state.concrete
            assert serving is not None
            await self.search.update_aliases(
                [{"remove_index": {"index": serving}}, {"add": {"index": target, "alias": self.name}}]
            )
        self.progress.phase("catching up")
        self.counts["caught_up"] += await self._fill(target, since=pass_start)
        self._lap("catch_up")
        if target != self.name:
            await self._make_concrete(target)
            self._lap("make_concrete")
        await self._sweep_and_verify(total, fresh=strategy != "in_place")
        self._lap("sweep_and_verify")
        seconds = time.perf_counter() - began
        return DatasetOutcome(
            dataset_id=str(self.dataset.id),
            name=self.dataset.name,
            index=self.name,
            strategy=strategy,
            records=total,
            seconds=round(seconds, 3),
            docs_per_second=round(self.counts["indexed"] / max(seconds, 1e-6), 1),
            gap_seconds=None if self.gap is None else round(self.gap, 4),
            phase_seconds=self.laps,
            resumed_after=None if after is None else str(after),
            **self.counts,
        )

    async def _resume_point(self) -> tuple[UUID, datetime] | None:
        """Where the newest checkpointing run of this dataset stopped, if it failed or was interrupted.

        Records up to its last id are in the index; its pass start (older than ours) is kept, so the
        catch-up also covers what changed while it ran and since.
        """
        recent, _ = await history.list_operations(self.resources.engine, kind="reindex", limit=RESUME_LOOKBACK)
        for op in recent:
            mark = (op.progress or {}).get("checkpoint")
            if op.id == self.operation_id or not mark or mark.get("dataset_id") != str(self.dataset.id):
                continue
            if op.status in ("failed", "interrupted") and mark.get("index") == self.name:
                return UUID(mark["last_id"]), datetime.fromisoformat(mark["pass_start"])
            return None
        return None

    def _lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.laps[phase] = round(now - self._last, 3)
        self._last = now

    async def _prepare(self, state: IndexState) -> tuple[Strategy, str]:
        """Pick the strategy; create the index to fill when a new one is needed."""
        if state.kind == "missing":
            await self.search.create_index(self.name, {**self.settings, **FAST_FILL}, self.mappings)
            return "created", self.name
        serving = state.concrete
        assert serving is not None
        if state.shards == self.settings["number_of_shards"]:
            refusal = await self.search.put_mapping(serving, self.mappings)
            if refusal is None:
                await self.search.put_settings(serving, {"index.blocks.write": None})
                return "in_place", serving
            log.info("existing mapping is incompatible", index=serving, reason=refusal)
        await self.search.create_index(self.temp, {**self.settings, **FAST_FILL}, self.mappings)
        return "rebuilt", self.temp

    async def _drop_leftovers(self, *, keep: str | None) -> None:
        """Delete rebuild indices of earlier failed runs (never the one ``rg.<id>`` points at)."""
        for leftover in await self.search.indices(f"{self.name}.rebuild-*"):
            if leftover != keep:
                log.info("dropping a leftover rebuild index", index=leftover)
                await self.search.delete_index(leftover)

    async def _fill(
        self, target: str, *, since: datetime | None = None, after: UUID | None = None, checkpoints_from: datetime | None = None
    ) -> int:
        """Bulk-index the dataset's records (those after ``after``, or only those changed since ``since``) into
        ``target``; with ``checkpoints_from`` (the pass start), record a resumable checkpoint now and then."""
        settings = self.resources.settings.search
        every = max(1, settings.checkpoint_records // settings.batch_size)
        written = batches = 0
        last: UUID | None = None

        def on_written(count: int) -> None:
            nonlocal written
            written += count
            self.progress.written(count)

        writer = BulkWriter(
            self.search,
            max_docs=settings.batch_size,
            max_bytes=settings.bulk_max_bytes,
            concurrency=settings.concurrency,
            on_written=on_written,
        )
        try:
            async for batch in prefetched(
                repo.stream_records(
                    self.resources.engine, self.dataset.id, batch_size=settings.batch_size, since=since, after=after
                )
            ):
                for record in batch:
                    await writer.index(target, str(record.id), record_document(record, self.dataset))
                batches, last = batches + 1, batch[-1].id
                if checkpoints_from is not None and batches % every == 0:
                    await writer.drain()
                    await self.progress.checkpoint(self.dataset, target, last, checkpoints_from)
            await writer.close()
            if checkpoints_from is not None and last is not None:
                await self.progress.checkpoint(self.dataset, target, last, checkpoints_from)
        except BaseException:
            await writer.abort()
            raise
        return written

    async def _restore_settings(self, target: str) -> None:
        await self.search.put_settings(
            target, {"index.refresh_interval": None, "index.number_of_replicas": self.settings["number_of_replicas"]}
        )

    async def _abandon(self, strategy: Strategy, target: str) -> None:
        """After a failed fill: drop a half-built new index; a created one keeps serving with normal settings."""
        with contextlib.suppress(Exception):
            if strategy == "rebuilt":
                await asyncio.shield(self.search.delete_index(target))
            elif strategy == "created":
                await asyncio.shield(self._restore_settings(target))

    async def _make_concrete(self, source: str) -> None:
        """Turn the alias ``rg.<id>`` -> ``source`` into a concrete ``rg.<id>`` via _clone; measure the gap."""
        self.progress.phase("cloning")
        blocked_at = utcnow_naive() - CLOCK_SKEW
        await self.search.put_settings(source, {"index.blocks.write": True})
        replicas = self.settings["number_of_replicas"]
        gap_start = time.perf_counter()
        await self.search.update_aliases([{"remove": {"index": source, "alias": self.name}}])
        try:
            await self._clone(source, replicas)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._restore_alias(source))
            raise
        self.gap = time.perf_counter() - gap_start
        await self.search.put_settings(self.name, {"index.blocks.write": None})
        await self.search.delete_index(source)
        self.progress.phase("catching up")
        self.counts["caught_up"] += await self._fill(self.name, since=blocked_at)

    async def _clone(self, source: str, replicas: int) -> None:
        try:
            await self.search.clone(source, self.name, {"index.number_of_replicas": replicas})
        except ReindexFailed:
            # A write that reached rg.<id> while it did not resolve auto-created it: drop that and clone again.
            state = await self.search.state(self.name)
            if state.kind != "index":
                raise
            log.warning("dropping an index auto-created during the clone gap", index=self.name)
            await self.search.delete_index(self.name)
            await self.search.clone(source, self.name, {"index.number_of_replicas": replicas})

    async def _restore_alias(self, source: str) -> None:
        await self.search.put_settings(source, {"index.blocks.write": None})
        await self.search.update_aliases([{"add": {"index": source, "alias": self.name}}])

    async def _sweep_and_verify(self, total: int, *, fresh: bool) -> None:
        if fresh:
            # A new index holds only what this run (and Argilla, by record id) wrote: when the counts agree
            # there is nothing stale or missing, and the id merge (a full scan) can be skipped.
            self.progress.phase("verifying")
            await self.search.refresh(self.name)
            if await self.search.count(self.name) == await repo.count_records(self.resources.engine, self.dataset.id):
                return
        self.progress.phase("sweeping")
        for attempt in range(2):
            await self.search.refresh(self.name)
            await self._sweep()
            await self.search.refresh(self.name)
            indexed = await self.search.count(self.name)
            expected = await repo.count_records(self.resources.engine, self.dataset.id)
            if indexed == expected:
                return
            log.warning("count mismatch after sweep", index=self.name, indexed=indexed, expected=expected, attempt=attempt)
        raise ReindexFailed(
            f"{self.name} holds {indexed} documents but the dataset has {expected} records after the sweep; "
            "records are probably being written concurrently: run the reindex again",
            index=self.name,
            indexed=indexed,
            expected=expected,
        )

    async def _sweep(self) -> None:
        """Merge sorted SQL ids with sorted index ids in constant memory; delete stale, add missing."""
        settings = self.resources.settings.search
        writer = BulkWriter(
            self.search, max_docs=settings.batch_size, max_bytes=settings.bulk_max_bytes, concurrency=settings.concurrency
        )
        stale: list[str] = []
        missing: list[UUID] = []
        try:
            async for kind, doc_id in _merge(_sql_ids(self.resources, self.dataset.id), ids_in_order(self.search, self.name)):
                if kind == "stale":
                    stale.append(doc_id)
                else:
                    missing.append(UUID(doc_id))
                if len(stale) >= SWEEP_BATCH:
                    await self._delete_stale(writer, stale)
                    stale = []
                if len(missing) >= SWEEP_BATCH:
                    await self._index_missing(writer, missing)
                    missing = []
            await self._delete_stale(writer, stale)
            await self._index_missing(writer, missing)
            await writer.close()
        except BaseException:
            await writer.abort()
            raise

    async def _delete_stale(self, writer: BulkWriter, ids: list[str]) -> None:
        """Delete documents without a record, re-checking SQL first (a record may have been created meanwhile)."""
        if not ids:
            return
        as_uuids = [u for u in map(_uuid_or_none, ids) if u is not None]
        alive = {str(u) for u in await repo.existing_ids(self.resources.engine, self.dataset.id, as_uuids)}
        for doc_id in ids:
            if doc_id not in alive:
                await writer.delete(self.name, doc_id)
                self.counts["stale_deleted"] += 1

    async def _index_missing(self, writer: BulkWriter, ids: list[UUID]) -> None:
        for record in await repo.load_records(self.resources.engine, self.dataset.id, ids):
            await writer.index(self.name, str(record.id), record_document(record, self.dataset))
            self.counts["missing_indexed"] += 1


async def prefetched(source: AsyncIterator[T], depth: int = 2) -> AsyncIterator[T]:
    """Read ``source`` ahead in its own task (at most ``depth`` items), so SQL waits overlap document work."""
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue(maxsize=depth)

    async def pump() -> None:
        try:
            async for item in source:
                await queue.put((True, item))
            await queue.put((False, None))
        except Exception as exc:
            await queue.put((False, exc))

    task = asyncio.create_task(pump())
    try:
        while True:
            more, item = await queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


async def _sql_ids(resources: Resources, dataset_id: UUID) -> AsyncIterator[str]:
    async for batch in repo.stream_record_ids(resources.engine, dataset_id):
        for record_id in batch:
            yield str(record_id)


async def _merge(sql: AsyncIterator[str], index: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """Walk two ascending id streams; yield ("stale", id) for index-only ids, ("missing", id) for SQL-only ids."""
    end = object()
    left: Any = await anext(sql, end)
    right: Any = await anext(index, end)
    while left is not end or right is not end:
        if right is end or (left is not end and left < right):
            yield "missing", left
            left = await anext(sql, end)
        elif left is end or right < left:
            yield "stale", right
            right = await anext(index, end)
        else:
            left, right = await anext(sql, end), await anext(index, end)


async def check_search_engine(resources: Resources) -> str:
    """Readiness: "not configured", or "ok" after a cluster-health call (raises SearchEngineUnavailable)."""
    if resources.search is None:
        return "not configured"
    await reachable_search(resources)
    return "ok"

"""Checking the index against SQL: counts first, then a merge of the sorted id streams when they differ.

The merge runs in constant memory; it deletes stale documents and indexes the missing records.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any
from uuid import UUID

import structlog

from service.core.errors import ReindexFailed
from service.db import records as repo
from service.ops.reindex.feed import documents_of
from service.ops.reindex.job import DatasetJob
from service.search.bulk import BulkWriter
from service.search.scan import ids_in_order

log = structlog.get_logger("service.reindex")

SWEEP_BATCH = 1000
SWEEP_ATTEMPTS = 2


async def verify(job: DatasetJob, *, fresh: bool) -> None:
    """Succeed once ``rg.<id>`` holds as many documents as the dataset has records; sweep when it does not."""
    if fresh and await _counts_agree(job):
        # A new index holds only what this run (and Argilla, by record id) wrote: when the counts agree
        # there is nothing stale or missing, and the id merge (a full scan) can be skipped.
        return
    job.progress.phase("sweeping")
    for attempt in range(SWEEP_ATTEMPTS):
        await job.search.refresh(job.name)
        await _sweep(job)
        await job.search.refresh(job.name)
        indexed = await job.search.count(job.name)
        expected = await repo.count_records(job.resources.engine, job.dataset.id)
        if indexed == expected:
            return
        log.warning("count mismatch after sweep", index=job.name, indexed=indexed, expected=expected, attempt=attempt)
    raise ReindexFailed(
        f"{job.name} holds {indexed} documents but the dataset has {expected} records after the sweep; "
        "records are probably being written concurrently: run the reindex again",
        index=job.name,
        indexed=indexed,
        expected=expected,
    )


async def _counts_agree(job: DatasetJob) -> bool:
    job.progress.phase("verifying")
    await job.search.refresh(job.name)
    return await job.search.count(job.name) == await repo.count_records(job.resources.engine, job.dataset.id)


async def _sweep(job: DatasetJob) -> None:
    """Merge sorted SQL ids with sorted index ids in constant memory; delete stale, add missing."""
    config = job.resources.settings.search
    writer = BulkWriter(
        job.search,
        max_docs=config.batch_size,
        max_bytes=config.bulk_max_bytes,
        concurrency=config.concurrency,
        busy_budget=config.busy_retry_seconds,
        on_backoff=job.progress.backoff,
    )
    stale: list[str] = []
    missing: list[UUID] = []
    try:
        async with contextlib.aclosing(_merge(_sql_ids(job), ids_in_order(job.search, job.name))) as merged:
            async for kind, doc_id in merged:
                if kind == "stale":
                    stale.append(doc_id)
                else:
                    missing.append(UUID(doc_id))
                if len(stale) >= SWEEP_BATCH:
                    await _delete_stale(job, writer, stale)
                    stale = []
                if len(missing) >= SWEEP_BATCH:
                    await _index_missing(job, writer, missing)
                    missing = []
        await _delete_stale(job, writer, stale)
        await _index_missing(job, writer, missing)
        await writer.close()
    except BaseException:
        await writer.abort()
        raise


async def _delete_stale(job: DatasetJob, writer: BulkWriter, ids: list[str]) -> None:
    """Delete documents without a record, re-checking SQL first (a record may have been created meanwhile)."""
    if not ids:
        return
    as_uuids = [u for u in map(_uuid_or_none, ids) if u is not None]
    alive = {str(u) for u in await repo.existing_ids(job.resources.engine, job.dataset.id, as_uuids)}
    for doc_id in ids:
        if doc_id not in alive:
            await writer.delete(job.name, doc_id)
            job.counts["stale_deleted"] += 1


async def _index_missing(job: DatasetJob, writer: BulkWriter, ids: list[UUID]) -> None:
    for record_id, document in await documents_of(job.resources, job.dataset, ids):
        await writer.index_encoded(job.name, record_id, document)
        job.counts["missing_indexed"] += 1


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


async def _sql_ids(job: DatasetJob) -> AsyncGenerator[str, None]:
    async with contextlib.aclosing(repo.stream_record_ids(job.resources.engine, job.dataset.id)) as batches:
        async for batch in batches:
            for record_id in batch:
                yield str(record_id)


async def _merge(sql: AsyncGenerator[str, None], index: AsyncGenerator[str, None]) -> AsyncGenerator[tuple[str, str], None]:
    """Walk two ascending id streams; yield ("stale", id) for index-only ids, ("missing", id) for SQL-only ids.

    Both streams are closed with the walk, however it ends."""
    async with contextlib.aclosing(sql), contextlib.aclosing(index):
        async for pair in _walk(sql, index):
            yield pair


async def _walk(sql: AsyncGenerator[str, None], index: AsyncGenerator[str, None]) -> AsyncGenerator[tuple[str, str], None]:
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

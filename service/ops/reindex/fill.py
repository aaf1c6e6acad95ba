"""Streaming a dataset's records from SQL into the bulk writer, with resumable checkpoints on ``rg.<id>``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from service.db import history
from service.db import records as repo
from service.ops.reindex.job import DatasetJob
from service.ops.reindex.strategy import Choice, restore_settings
from service.search.bulk import BulkWriter
from service.search.documents import record_document

# How many recent reindex operations are searched for a checkpoint to resume from.
RESUME_LOOKBACK = 50
T = TypeVar("T")


@dataclass(frozen=True)
class ResumePoint:
    """Where a failed run stopped: every record up to ``last_id`` is indexed; its pass began at ``pass_start``."""

    last_id: UUID
    pass_start: datetime


async def resume_point(job: DatasetJob) -> ResumePoint | None:
    """Where the newest checkpointing run of this dataset stopped, if it failed or was interrupted.

    Records up to its last id are in the index; its pass start (older than ours) is kept, so the
    catch-up also covers what changed while it ran and since.
    """
    recent, _ = await history.list_operations(job.resources.engine, kind="reindex", limit=RESUME_LOOKBACK)
    for op in recent:
        mark = (op.progress or {}).get("checkpoint")
        if op.id == job.operation_id or not mark or mark.get("dataset_id") != str(job.dataset.id):
            continue
        if op.status in ("failed", "interrupted") and mark.get("index") == job.name:
            return ResumePoint(UUID(mark["last_id"]), datetime.fromisoformat(mark["pass_start"]))
        return None
    return None


async def fill(job: DatasetJob, choice: Choice, *, after: UUID | None, pass_start: datetime) -> None:
    """The first pass: every record (after ``after``) into the chosen index; a new index gets its settings back.

    Writes straight into ``rg.<id>`` leave checkpoints stamped with ``pass_start``. A failed pass drops a
    half-built rebuild index (a created one keeps serving, with normal settings).
    """
    checkpoints_from = pass_start if choice.target == job.name else None
    try:
        job.counts["indexed"] = await write_records(job, choice.target, after=after, checkpoints_from=checkpoints_from)
    except BaseException:
        await _abandon(job, choice)
        raise
    if choice.strategy != "in_place":
        await restore_settings(job, choice.target)


async def write_records(
    job: DatasetJob,
    target: str,
    *,
    since: datetime | None = None,
    after: UUID | None = None,
    checkpoints_from: datetime | None = None,
) -> int:
    """Bulk-index the dataset's records (those after ``after``, or only those changed since ``since``) into
    ``target``; with ``checkpoints_from`` (the pass start), record a resumable checkpoint now and then.
    Returns how many documents were written."""
    config = job.resources.settings.search
    written = 0

    def on_written(count: int) -> None:
        nonlocal written
        written += count
        job.progress.written(count)

    writer = BulkWriter(
        job.search,
        max_docs=config.batch_size,
        max_bytes=config.bulk_max_bytes,
        concurrency=config.concurrency,
        on_written=on_written,
    )
    try:
        await _stream(job, writer, target, since=since, after=after, checkpoints_from=checkpoints_from)
    except BaseException:
        await writer.abort()
        raise
    return written


async def _stream(
    job: DatasetJob,
    writer: BulkWriter,
    target: str,
    *,
    since: datetime | None,
    after: UUID | None,
    checkpoints_from: datetime | None,
) -> None:
    config = job.resources.settings.search
    every = max(1, config.checkpoint_records // config.batch_size)
    batches, last = 0, None
    records = repo.stream_records(job.resources.engine, job.dataset.id, batch_size=config.batch_size, since=since, after=after)
    async for batch in prefetched(records):
        for record in batch:
            await writer.index(target, str(record.id), record_document(record, job.dataset))
        batches, last = batches + 1, batch[-1].id
        if checkpoints_from is not None and batches % every == 0:
            await writer.drain()
            await job.progress.checkpoint(job.dataset, target, last, checkpoints_from)
    await writer.close()
    if checkpoints_from is not None and last is not None:
        await job.progress.checkpoint(job.dataset, target, last, checkpoints_from)


async def _abandon(job: DatasetJob, choice: Choice) -> None:
    """After a failed fill: drop a half-built new index; a created one keeps serving with normal settings."""
    with contextlib.suppress(Exception):
        if choice.strategy == "rebuilt":
            await asyncio.shield(job.search.delete_index(choice.target))
        elif choice.strategy == "created":
            await asyncio.shield(restore_settings(job, choice.target))


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

"""Streaming a dataset's records from SQL into the bulk writer, with resumable checkpoints on ``rg.<id>``."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from service.db import history
from service.ops.reindex.fast_fill import refresh_pace, restore_settings
from service.ops.reindex.feed import Position, Since, feed
from service.ops.reindex.job import DatasetJob
from service.ops.reindex.strategy import Choice
from service.search.bulk import BulkWriter

# How many recent reindex operations are searched for a checkpoint to resume from.
RESUME_LOOKBACK = 50
T = TypeVar("T")


@dataclass(frozen=True)
class ResumePoint:
    """Where a failed run stopped: every record up to ``last`` (feed order) is indexed; ``since`` is what its
    catch-up would have re-read (its pass's snapshot, or its start time)."""

    last: Position
    since: Since


async def resume_point(job: DatasetJob) -> ResumePoint | None:
    """Where the newest checkpointing run of this dataset stopped, if it failed or was interrupted.

    Records up to its last position are in the index; its ``since`` (older than ours) is kept, so the
    catch-up also covers what changed while it ran and since.
    """
    recent, _ = await history.list_operations(job.resources.engine, kind="reindex", limit=RESUME_LOOKBACK)
    for op in recent:
        mark = (op.progress or {}).get("checkpoint")
        if op.id == job.operation_id or not mark or mark.get("dataset_id") != str(job.dataset.id):
            continue
        if op.status in ("failed", "interrupted") and mark.get("index") == job.name and "last_inserted_at" in mark:
            last = Position(datetime.fromisoformat(mark["last_inserted_at"]), UUID(mark["last_id"]))
            return ResumePoint(last, Since(datetime.fromisoformat(mark["pass_start"]), mark.get("snapshot")))
        return None  # (a checkpoint without a position was written before the feed order was Argilla's)
    return None


async def fill(job: DatasetJob, choice: Choice, *, resume: ResumePoint | None, since: Since) -> Since:
    """The first pass: every record (after the resume point) into the chosen index; a new index gets its
    settings back. Returns what the catch-up must re-read: on PostgreSQL the pass's own snapshot.

    Writes straight into ``rg.<id>`` leave checkpoints (position and ``since``). A failed pass drops a
    half-built rebuild index (a created one keeps serving, with normal settings).
    """
    if resume is not None:
        since = resume.since
    snapshots: list[str] = []
    try:
        job.counts["indexed"] = await write_records(
            job,
            choice.target,
            after=None if resume is None else resume.last,
            checkpoints=since if choice.target == job.name else None,
            on_snapshot=None if resume is not None else snapshots.append,
        )
    except BaseException:
        await _abandon(job, choice)
        raise
    if choice.strategy != "in_place":
        await restore_settings(job, choice.target)
    return Since(since.time, snapshots[0]) if snapshots else since


async def write_records(
    job: DatasetJob,
    target: str,
    *,
    since: Since | None = None,
    after: Position | None = None,
    checkpoints: Since | None = None,
    on_snapshot: Callable[[str], None] | None = None,
) -> int:
    """Bulk-index the dataset's records (those after ``after``, or only those changed since ``since``) into
    ``target``; with ``checkpoints`` (what a resumed run must catch up on), record a resumable checkpoint
    now and then. Returns how many documents were written."""
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
        busy_budget=config.busy_retry_seconds,
        on_backoff=job.progress.backoff,
    )
    try:
        await _stream(job, writer, target, since=since, after=after, checkpoints=checkpoints, on_snapshot=on_snapshot)
    except BaseException:
        await writer.abort()
        raise
    return written


async def _stream(
    job: DatasetJob,
    writer: BulkWriter,
    target: str,
    *,
    since: Since | None,
    after: Position | None,
    checkpoints: Since | None,
    on_snapshot: Callable[[str], None] | None,
) -> None:
    config = job.resources.settings.search
    every = max(1, config.checkpoint_records // config.batch_size)
    batches, last, marks = 0, None, checkpoints
    pace = _Pace(job, writer, target, refresh_pace(job.search.engine, job.dataset))
    # Batches queued but maybe not written yet: (the writer's mark after the batch, the batch's last position).
    unconfirmed: deque[tuple[int, Position]] = deque()

    def snapshot_taken(snapshot: str) -> None:
        # A fresh pass's checkpoints carry its snapshot, so a resumed run catches up exactly from it.
        nonlocal marks
        if on_snapshot is not None:
            on_snapshot(snapshot)
            if marks is not None and marks.snapshot is None:
                marks = Since(marks.time, snapshot)

    documents = feed(
        job.resources, job.dataset, batch_size=config.batch_size, since=since, after=after, on_snapshot=snapshot_taken
    )
    # Closed on every exit: a failed bulk must not leave the feed's streamed query holding a connection.
    async with contextlib.aclosing(prefetched(documents)) as ahead:
        async for batch in ahead:
            await writer.index_many(target, [(record_id, document) for record_id, document, _ in batch.rows])
            batches, last = batches + 1, batch.last
            await pace.queued(len(batch.rows))
            if marks is None:
                continue
            unconfirmed.append((writer.mark(), batch.last))
            if batches % every == 0:
                # The newest position whose documents are all written; the senders are not stopped to find it.
                written = None
                while unconfirmed and unconfirmed[0][0] <= writer.answered_through:
                    written = unconfirmed.popleft()[1]
                if written is not None:
                    await job.progress.checkpoint(job.dataset, target, written, marks)
    await writer.close()
    if marks is not None and last is not None:
        await job.progress.checkpoint(job.dataset, target, last, marks)


@dataclass
class _Pace:
    """Refreshes ``target`` after every ``every`` documents queued (``None``: never), once all are answered."""

    job: DatasetJob
    writer: BulkWriter
    target: str
    every: int | None
    unrefreshed: int = 0

    async def queued(self, count: int) -> None:
        self.unrefreshed += count
        if self.every is not None and self.unrefreshed >= self.every:
            # The senders wait while the node writes (and builds the graphs of) a bounded segment.
            await self.writer.drain()
            await self.job.search.refresh(self.target)
            self.unrefreshed = 0


async def _abandon(job: DatasetJob, choice: Choice) -> None:
    """After a failed fill: drop a half-built new index; a created one keeps serving with normal settings."""
    with contextlib.suppress(Exception):
        if choice.strategy == "rebuilt":
            await asyncio.shield(job.search.delete_index(choice.target))
            job.progress.state.get("lowered", {}).pop(choice.target, None)
        elif choice.strategy == "created":
            await asyncio.shield(restore_settings(job, choice.target))


async def prefetched(source: AsyncGenerator[T, None], depth: int = 2) -> AsyncGenerator[T, None]:
    """Read ``source`` ahead in its own task (at most ``depth`` items), so SQL waits overlap document work.

    ``source`` is closed by the reading task however it ends (cancelled while waiting to put included).
    """
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue(maxsize=depth)

    async def pump() -> None:
        try:
            async with contextlib.aclosing(source) as items:
                async for item in items:
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

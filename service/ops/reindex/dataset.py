"""One dataset's reindex, step by step: choose the strategy, fill, catch up, swap, verify, expunge deletes."""

from __future__ import annotations

import structlog

from service.db import records as repo
from service.db.history import utcnow
from service.ops.reindex.catch_up import catch_up
from service.ops.reindex.expunge import expunge_deletes
from service.ops.reindex.feed import Since
from service.ops.reindex.fill import ResumePoint, fill, resume_point
from service.ops.reindex.job import CLOCK_SKEW, DatasetJob
from service.ops.reindex.progress import Laps
from service.ops.reindex.repair import repair_swap
from service.ops.reindex.results import DatasetOutcome
from service.ops.reindex.strategy import Choice, choose_strategy
from service.ops.reindex.swap import flip_alias, make_concrete
from service.ops.reindex.verify import verify

log = structlog.get_logger("service.reindex")


async def reindex_dataset(job: DatasetJob) -> DatasetOutcome:
    """Rebuild ``rg.<id>`` from SQL without an empty-search window, and check it against SQL."""
    laps = Laps()
    total = await repo.count_records(job.resources.engine, job.dataset.id)
    job.progress.dataset(job.dataset, total)
    # Without a PostgreSQL snapshot (SQLite), the catch-up looks back by time, with room for clock skew.
    since = Since(utcnow() - CLOCK_SKEW)
    # A swap an earlier run's crash cut short (rg.<id> missing or write-blocked) is completed first.
    await repair_swap(job.search, job.name, job.settings["number_of_replicas"])
    choice = await choose_strategy(job)
    resume = await resume_point(job) if choice.strategy == "in_place" and choice.target == job.name else None
    _log_start(job, choice, total, resume)
    since = await fill(job, choice, resume=resume, since=since)
    laps.lap("fill")
    if choice.strategy == "rebuilt":
        assert choice.serving is not None
        await flip_alias(job, choice.serving, choice.target)
    await catch_up(job, choice.target, since=since)
    laps.lap("catch_up")
    if choice.target != job.name:
        await make_concrete(job, choice.target)
        laps.lap("make_concrete")
    await verify(job, fresh=choice.strategy != "in_place")
    laps.lap("sweep_and_verify")
    if choice.strategy == "in_place":
        await expunge_deletes(job)
        laps.lap("expunge_deletes")
    return _outcome(job, choice, total, laps, resume)


def _log_start(job: DatasetJob, choice: Choice, total: int, resume: ResumePoint | None) -> None:
    log.info(
        "reindexing dataset",
        dataset_id=str(job.dataset.id),
        index=job.name,
        strategy=choice.strategy,
        target=choice.target,
        records=total,
        resumed_after=None if resume is None else str(resume.last.id),
    )


def _outcome(job: DatasetJob, choice: Choice, total: int, laps: Laps, resume: ResumePoint | None) -> DatasetOutcome:
    seconds = laps.total()
    return DatasetOutcome(
        dataset_id=str(job.dataset.id),
        name=job.dataset.name,
        index=job.name,
        strategy=choice.strategy,
        records=total,
        seconds=round(seconds, 3),
        docs_per_second=round(job.counts["indexed"] / max(seconds, 1e-6), 1),
        gap_seconds=None if job.gap is None else round(job.gap, 4),
        phase_seconds=laps.seconds,
        resumed_after=None if resume is None else str(resume.last.id),
        **job.counts,
    )

"""The catch-up pass: re-index the records Argilla changed while an earlier pass ran (after its snapshot)."""

from __future__ import annotations

from service.db.documents import current_snapshot
from service.db.history import utcnow
from service.ops.reindex.feed import Since, uses_sql
from service.ops.reindex.fill import write_records
from service.ops.reindex.job import CLOCK_SKEW, DatasetJob


async def since_now(job: DatasetJob) -> Since:
    """What a later catch-up must re-read to cover every write from now on: the database's snapshot now
    (PostgreSQL), or else now minus the clock skew."""
    snapshot = await current_snapshot(job.resources.engine) if uses_sql(job.resources, job.dataset) else None
    return Since(utcnow() - CLOCK_SKEW, snapshot)


async def catch_up(job: DatasetJob, target: str, *, since: Since) -> None:
    """Re-index into ``target`` every record written after ``since``: rows a snapshot did not see, or else
    records changed after a time (a pass start, minus the clock skew)."""
    job.progress.phase("catching up")
    job.counts["caught_up"] += await write_records(job, target, since=since)

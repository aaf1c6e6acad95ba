"""The catch-up pass: re-index the records Argilla changed while an earlier pass ran (by ``updated_at``)."""

from __future__ import annotations

from datetime import datetime

from service.ops.reindex.fill import write_records
from service.ops.reindex.job import DatasetJob


async def catch_up(job: DatasetJob, target: str, *, since: datetime) -> None:
    """Re-index into ``target`` every record changed since ``since`` (a pass start, minus the clock skew)."""
    job.progress.phase("catching up")
    job.counts["caught_up"] += await write_records(job, target, since=since)

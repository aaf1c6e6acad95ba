"""Lowered index settings (no refreshes, no replicas while a new index fills), recorded so they are always undone.

Before an index is created with ``FAST_FILL``, the operation records (in its progress, flushed at
once) which index was lowered and what to put back. The settings are restored when the fill ends,
well or badly; and whatever a killed process or a dead node left lowered is restored by the next
reindex of that dataset, from those records (only where the index still has the lowered values).
"""

from __future__ import annotations

from typing import Any

import structlog

from service.db import history
from service.ops.reindex.job import DatasetJob

log = structlog.get_logger("service.reindex")

# A new index is filled without refreshes or replicas; restore_settings puts the configured ones back.
FAST_FILL = {"index.refresh_interval": "-1", "index.number_of_replicas": 0}
# How many recent reindex operations are searched for settings left lowered.
LOOKBACK = 50


def argilla_settings(job: DatasetJob) -> dict[str, Any]:
    """What Argilla's indices have: the default refresh interval and the configured replicas."""
    return {"index.refresh_interval": None, "index.number_of_replicas": job.settings["number_of_replicas"]}


async def create_lowered(job: DatasetJob, index: str) -> None:
    """Record that ``index`` is lowered (flushed before anything happens), then create it with ``FAST_FILL``."""
    lowered = job.progress.state.setdefault("lowered", {})
    lowered[index] = {"dataset_id": str(job.dataset.id), "restore": argilla_settings(job)}
    await job.progress.flush()
    await job.search.create_index(index, {**job.settings, **FAST_FILL}, job.mappings)


async def restore_settings(job: DatasetJob, index: str) -> None:
    """Undo ``FAST_FILL`` on ``index`` (refreshes on, the configured replicas) and drop its record."""
    await job.search.put_settings(index, argilla_settings(job))
    job.progress.state.get("lowered", {}).pop(index, None)
    await job.progress.flush()


async def undo_left_lowered(job: DatasetJob) -> list[str]:
    """Restore the settings earlier runs of this dataset recorded as lowered and never put back."""
    recent, _ = await history.list_operations(job.resources.engine, kind="reindex", limit=LOOKBACK)
    restored: list[str] = []
    for op in recent:
        if op.id == job.operation_id or op.status in ("queued", "running"):
            continue
        for index, note in ((op.progress or {}).get("lowered") or {}).items():
            if note.get("dataset_id") == str(job.dataset.id) and index not in restored and await _still_lowered(job, index):
                await job.search.put_settings(index, note["restore"])
                restored.append(index)
                log.warning("restored index settings a stopped reindex left lowered", index=index, operation_id=op.id)
    return restored


async def _still_lowered(job: DatasetJob, index: str) -> bool:
    state = await job.search.state(index)
    if state.kind == "missing" or state.concrete != index:
        return False
    return bool(state.settings.get("index.refresh_interval") == "-1")

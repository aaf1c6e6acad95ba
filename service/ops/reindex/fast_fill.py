"""Lowered index settings (no refreshes, no replicas while a new index fills), recorded so they are always undone.

Before an index is created with its ``FAST_FILL`` settings, the operation records (in its progress,
flushed at once) which index was lowered, to what, and what to put back. The settings are restored when the fill ends,
well or badly; and whatever a killed process or a dead node left lowered is restored by the next
reindex of that dataset, from those records (only where the index still has the lowered values).
"""

from __future__ import annotations

from typing import Any

import structlog

from service.db import history
from service.db.records import Dataset
from service.ops.reindex.job import DatasetJob

log = structlog.get_logger("service.reindex")

# A new index is filled without refreshes or replicas; restore_settings puts the configured ones back.
FAST_FILL: dict[str, Any] = {"index.refresh_interval": "-1", "index.number_of_replicas": 0}
# On OpenSearch with vectors, a fill refreshes (and waits for it) after about this many documents.
PACED_REFRESH_DOCS = 20_000
# How many recent reindex operations are searched for settings left lowered.
LOOKBACK = 50


def refresh_pace(engine: str, dataset: Dataset) -> int | None:
    """Documents between refreshes the fill itself makes and waits for: only OpenSearch with vectors needs them.

    There the node builds a segment's HNSW graph as it writes the segment, and with Argilla's graph
    parameters (m 2, ef_construction 4) Lucene 9.12's ``connectComponents`` makes that cost grow much faster
    than the segment (apache/lucene#14214). Left to itself, the node writes large segments: with refreshes
    off, a few huge ones; with a 1 s interval, the refresh falls behind the load, each late refresh writes
    a larger segment and so falls further behind, until indexing is throttled and a bulk waits for minutes
    (measured on OpenSearch 2.19.1, see the README). Refreshing every ``PACED_REFRESH_DOCS`` documents,
    with the senders waiting, bounds every new segment, so the graph cost stays linear in the records.
    """
    return PACED_REFRESH_DOCS if engine == "opensearch" and dataset.vectors_settings else None


def argilla_settings(job: DatasetJob) -> dict[str, Any]:
    """What Argilla's indices have: the default refresh interval and the configured replicas."""
    return {"index.refresh_interval": None, "index.number_of_replicas": job.settings["number_of_replicas"]}


async def create_lowered(job: DatasetJob, index: str) -> None:
    """Record that ``index`` is lowered (flushed before anything happens), then create it with ``FAST_FILL``."""
    fast = dict(FAST_FILL)
    lowered = job.progress.state.setdefault("lowered", {})
    lowered[index] = {"dataset_id": str(job.dataset.id), "restore": argilla_settings(job), "lowered": fast}
    await job.progress.flush()
    await job.search.create_index(index, {**job.settings, **fast}, job.mappings)


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
            if note.get("dataset_id") != str(job.dataset.id) or index in restored:
                continue
            if await _still_lowered(job, index, note.get("lowered", FAST_FILL)):
                await job.search.put_settings(index, note["restore"])
                restored.append(index)
                log.warning("restored index settings a stopped reindex left lowered", index=index, operation_id=op.id)
    return restored


async def _still_lowered(job: DatasetJob, index: str, lowered: dict[str, Any]) -> bool:
    """``index`` exists under its own name and still has every value it was lowered to."""
    state = await job.search.state(index)
    if state.kind == "missing" or state.concrete != index:
        return False
    return all(state.settings.get(key) == str(value) for key, value in lowered.items())

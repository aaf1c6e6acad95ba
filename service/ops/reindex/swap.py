"""Putting the rebuilt index in service: the atomic alias flip, then ``_clone`` back into a concrete ``rg.<id>``.

Argilla deletes and updates ``rg.<id>`` by name, which an alias does not allow, so the alias is
finally turned into a concrete index: the only moment ``rg.<id>`` does not resolve (``gap_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog

from service.core.errors import ReindexFailed
from service.ops.reindex.catch_up import catch_up, since_now
from service.ops.reindex.job import DatasetJob

log = structlog.get_logger("service.reindex")


async def flip_alias(job: DatasetJob, serving: str, rebuilt: str) -> None:
    """One ``_aliases`` request: drop the serving index, point ``rg.<id>`` at the rebuilt one (no gap)."""
    await job.search.refresh(rebuilt)
    await job.search.update_aliases([{"remove_index": {"index": serving}}, {"add": {"index": rebuilt, "alias": job.name}}])


async def make_concrete(job: DatasetJob, source: str) -> None:
    """Turn the alias ``rg.<id>`` -> ``source`` into a concrete ``rg.<id>`` via _clone; measure the gap."""
    job.progress.phase("cloning")
    blocked_at = await since_now(job)
    await job.search.put_settings(source, {"index.blocks.write": True})
    gap_start = time.perf_counter()
    await job.search.update_aliases([{"remove": {"index": source, "alias": job.name}}])
    try:
        await _clone(job, source, job.settings["number_of_replicas"])
    except BaseException:
        with contextlib.suppress(Exception):
            await asyncio.shield(_restore_alias(job, source))
        raise
    job.gap = time.perf_counter() - gap_start
    await job.search.put_settings(job.name, {"index.blocks.write": None})
    await job.search.delete_index(source)
    await catch_up(job, job.name, since=blocked_at)


async def _clone(job: DatasetJob, source: str, replicas: int) -> None:
    try:
        await job.search.clone(source, job.name, {"index.number_of_replicas": replicas})
    except ReindexFailed:
        # A write that reached rg.<id> while it did not resolve auto-created it: drop that and clone again.
        state = await job.search.state(job.name)
        if state.kind != "index":
            raise
        log.warning("dropping an index auto-created during the clone gap", index=job.name)
        await job.search.delete_index(job.name)
        await job.search.clone(source, job.name, {"index.number_of_replicas": replicas})


async def _restore_alias(job: DatasetJob, source: str) -> None:
    await job.search.put_settings(source, {"index.blocks.write": None})
    await job.search.update_aliases([{"add": {"index": source, "alias": job.name}}])

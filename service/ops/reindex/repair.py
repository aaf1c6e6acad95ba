"""Repairing a swap a crash cut short: ``rg.<id>`` missing (killed between the alias removal and ``_clone``),
or cloned but still write-blocked (killed before the block was lifted).

Runs at service start (in the background, bounded by the engine's deadlines) and before every
dataset's reindex, under that dataset's lock, so it never races a live swap. Writes Argilla made
while ``rg.<id>`` did not resolve are caught up by the next reindex of the dataset.
"""

from __future__ import annotations

from uuid import UUID

import structlog

from service.core.errors import MaintenanceError
from service.db import locks
from service.db.engine import DATABASE_ERRORS
from service.ops.context import Resources
from service.search.engine import SearchEngine
from service.search.schema import index_name

log = structlog.get_logger("service.reindex")
REBUILD_MARK = ".rebuild-"
REPAIR_ERRORS: tuple[type[Exception], ...] = (MaintenanceError, *DATABASE_ERRORS)


async def repair_swap(search: SearchEngine, name: str, replicas: int) -> str | None:
    """Make ``name`` resolve again if a cut-short swap left it missing or write-blocked; what was done, or None."""
    sources = [index for index in await search.indices(f"{name}{REBUILD_MARK}*") if index.startswith(name + REBUILD_MARK)]
    state = await search.state(name)
    if state.kind == "missing" and sources:
        source = sources[-1]
        await search.put_settings(source, {"index.blocks.write": True})
        await search.clone(source, name, {"index.number_of_replicas": replicas})
        await search.put_settings(name, {"index.blocks.write": None, "index.refresh_interval": None})
        await search.delete_index(source)
        log.warning("repaired an interrupted swap: cloned the rebuilt index back", index=name, source=source)
        return f"cloned {source} into {name}"
    if state.kind == "index" and state.settings.get("index.blocks.write") == "true":
        await search.put_settings(name, {"index.blocks.write": None})
        for source in sources:
            await search.delete_index(source)
        log.warning("repaired an interrupted swap: lifted the write block", index=name)
        return f"lifted the write block of {name}"
    return None


async def repair_interrupted_swaps(resources: Resources) -> list[str]:
    """Every dataset whose swap a crash cut short, repaired unless a reindex of it is running; what was done."""
    search: SearchEngine | None = resources.search
    if search is None:
        return []
    done: list[str] = []
    try:
        leftovers = await search.indices(f"rg.*{REBUILD_MARK}*")
    except MaintenanceError as exc:
        log.warning("could not look for interrupted swaps", error_type=exc.slug)
        return []
    for dataset_id in sorted({found for index in leftovers if (found := _dataset_of(index)) is not None}):
        try:
            async with locks.hold(
                resources.engine,
                f"dataset:{dataset_id}",
                holder=resources.holder,
                operation_id=None,
                timeout=0,
                ttl=resources.settings.lock_ttl,
            ):
                what = await repair_swap(search, index_name(UUID(dataset_id)), resources.settings.search.replicas)
        except locks.LockUnavailable:
            continue  # a reindex of it is running: its own swap is not cut short
        except REPAIR_ERRORS as exc:
            log.warning("could not repair an interrupted swap", dataset_id=dataset_id, error_type=type(exc).__name__)
            continue
        if what:
            done.append(what)
    return done


def _dataset_of(index: str) -> str | None:
    head = index.split(REBUILD_MARK, 1)[0]
    try:
        return str(UUID(head.removeprefix("rg.")))
    except ValueError:
        return None

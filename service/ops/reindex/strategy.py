"""How ``rg.<id>`` is rebuilt: created when missing, in place when its mapping and shards allow, else rebuilt beside it."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from service.ops.reindex.fast_fill import create_lowered, undo_left_lowered
from service.ops.reindex.job import DatasetJob
from service.ops.reindex.results import Strategy

log = structlog.get_logger("service.reindex")


@dataclass(frozen=True)
class Choice:
    """The strategy, the index the fill writes to, and the concrete index serving ``rg.<id>`` now (if any)."""

    strategy: Strategy
    target: str
    serving: str | None


async def choose_strategy(job: DatasetJob) -> Choice:
    """Drop leftovers of failed runs, pick the strategy, and create the index to fill when a new one is needed."""
    await undo_left_lowered(job)
    state = await job.search.state(job.name)
    await _drop_leftovers(job, keep=state.concrete)
    if state.kind == "missing":
        await create_lowered(job, job.name)
        return Choice("created", job.name, None)
    serving = state.concrete
    assert serving is not None
    if state.shards == job.settings["number_of_shards"]:
        refusal = await job.search.put_mapping(serving, job.mappings)
        if refusal is None:
            await job.search.put_settings(serving, {"index.blocks.write": None})
            return Choice("in_place", serving, serving)
        log.info("existing mapping is incompatible", index=serving, reason=refusal)
    await create_lowered(job, job.temp)
    return Choice("rebuilt", job.temp, serving)


async def _drop_leftovers(job: DatasetJob, *, keep: str | None) -> None:
    """Delete rebuild indices of earlier failed runs (never the one ``rg.<id>`` points at)."""
    for leftover in await job.search.indices(f"{job.name}.rebuild-*"):
        if leftover != keep:
            log.info("dropping a leftover rebuild index", index=leftover)
            await job.search.delete_index(leftover)

"""One dataset's reindex in progress: where it reads and writes, with which index settings, and what it counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from service.db.records import Dataset
from service.ops.context import Resources
from service.ops.reindex.progress import Progress
from service.search.engine import SearchEngine
from service.search.mappings import index_mappings, index_settings
from service.search.schema import index_name

# Argilla stamps updated_at with its own clock: look back this far when catching up on concurrent writes.
CLOCK_SKEW = timedelta(seconds=30)


@dataclass
class DatasetJob:
    """Shared by the steps of one dataset's reindex (strategy, fill, catch-up, swap, verify)."""

    resources: Resources
    search: SearchEngine
    dataset: Dataset
    operation_id: str
    progress: Progress
    name: str
    temp: str
    settings: dict[str, Any]
    mappings: dict[str, Any]
    counts: dict[str, int] = field(
        default_factory=lambda: {"indexed": 0, "caught_up": 0, "stale_deleted": 0, "missing_indexed": 0}
    )
    gap: float | None = None

    @classmethod
    def create(
        cls, resources: Resources, search: SearchEngine, dataset: Dataset, operation_id: str, progress: Progress
    ) -> DatasetJob:
        """``rg.<id>`` and the name a rebuild of it would take, with Argilla's settings and mapping for it."""
        config = resources.settings.search
        name = index_name(dataset.id)
        return cls(
            resources=resources,
            search=search,
            dataset=dataset,
            operation_id=operation_id,
            progress=progress,
            name=name,
            temp=f"{name}.rebuild-{operation_id.replace('-', '')[:12]}",
            settings=index_settings(
                search.engine, shards=config.shards, replicas=config.replicas, total_fields_limit=config.total_fields_limit
            ),
            mappings=index_mappings(search.engine, dataset),
        )

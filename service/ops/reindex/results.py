"""What a reindex is asked and what it answers: msgspec Structs shared by the API and the CLI's --json."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

from service.core.errors import InvalidDatasetId
from service.core.operation_record import OperationRecord

Strategy = Literal["created", "in_place", "rebuilt"]


class ReindexRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One dataset (its id), or every published dataset when ``dataset_id`` is omitted."""

    dataset_id: str | None = None

    def __post_init__(self) -> None:
        # Validated before anything else (engine, schema, locks): Argilla's dataset ids are UUIDs.
        if self.dataset_id is None:
            return
        try:
            canonical = str(UUID(self.dataset_id))
        except ValueError:
            raise InvalidDatasetId(
                "the dataset id is not a UUID; accepted: a dataset id as Argilla shows it, "
                "e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6"
            ) from None
        msgspec.structs.force_setattr(self, "dataset_id", canonical)


class DatasetOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What the reindex did to one dataset's index."""

    dataset_id: str
    name: str
    index: str
    strategy: Strategy
    records: int
    indexed: int
    caught_up: int
    stale_deleted: int
    missing_indexed: int
    seconds: float
    docs_per_second: float
    gap_seconds: float | None = None
    phase_seconds: dict[str, float] = {}
    resumed_after: str | None = None


class SkippedDataset(msgspec.Struct, frozen=True):
    dataset_id: str
    name: str
    status: str
    reason: str = "draft datasets have no index in Argilla (it is created when the dataset is published)"


class ReindexResult(msgspec.Struct, frozen=True):
    operation: OperationRecord
    datasets: list[DatasetOutcome]
    skipped: list[SkippedDataset]

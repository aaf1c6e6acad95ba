"""What both legacy operations share: the engine and index names, dataset selection, locks and progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from service.core.errors import DatasetNotFound, InvalidRequest, NoLegacyData, SearchEngineUnavailable
from service.ops.context import Resources
from service.ops.operation_locks import operation_lock
from service.ops.recording import Recorder
from service.search.engine import SearchEngine
from service.search.legacy.catalog import datasets_index_exists
from service.search.legacy.documents import LegacyDataset
from service.search.legacy.names import datasets_index, records_index

Started = Callable[[str], None]
ProgressListener = Callable[[dict[str, Any]], None]
ACCEPTED_IDS = "accepted: workspace/name (or workspace.name), or a bare name for a dataset without a workspace"


def utcnow_iso() -> str:
    """Argilla 1.x stamps naive UTC ISO timestamps (``2026-12-03T17:16:39.890508``)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


async def legacy_search(resources: Resources) -> tuple[SearchEngine, str]:
    """The configured engine (after a health call) and its ``ar.datasets`` index; refusals name the fix."""
    search: SearchEngine | None = resources.search
    if search is None:
        raise SearchEngineUnavailable(
            "no search engine configured; set ARGILLA_ELASTICSEARCH (and ARGILLA_SEARCH_ENGINE)", configured=False
        )
    await search.health()
    index = datasets_index(resources.settings.search.namespace)
    if not await datasets_index_exists(search, index):
        raise NoLegacyData(
            f"no legacy data: the search engine has no {index} index (Argilla 1.x keeps its datasets there; "
            "set ARGILLA_NAMESPACE if your 1.x server used one)",
            index=index,
        )
    return search, index


def records_index_of(resources: Resources, dataset_id: str) -> str:
    return records_index(resources.settings.search.namespace, dataset_id)


def dataset_id_of(ref: str) -> str:
    """``workspace/name`` -> ``workspace.name`` (the document id); ids and bare names unchanged."""
    value = ref.strip()
    workspace, sep, name = value.partition("/")
    if not value or (sep and (not workspace or not name or "/" in name)):
        raise InvalidRequest(f"dataset {ref!r} is not a dataset id; {ACCEPTED_IDS}")
    return f"{workspace}.{name}" if sep else value


def select(candidates: Sequence[LegacyDataset], refs: list[str] | None) -> list[LegacyDataset]:
    """The datasets named by ``refs`` (all candidates when None); unknown names are one 404 listing them."""
    if refs is None:
        return list(candidates)
    by_id = {dataset.id: dataset for dataset in candidates}
    wanted = list(dict.fromkeys(dataset_id_of(ref) for ref in refs))
    missing = [ref for ref in wanted if ref not in by_id]
    if missing:
        raise DatasetNotFound(f"legacy dataset(s) not found: {', '.join(missing)}; {ACCEPTED_IDS}", datasets=missing)
    return [by_id[ref] for ref in wanted]


def hold(
    resources: Resources, recorder: Recorder, name: str, timeout: float, *, shared: bool
) -> AbstractAsyncContextManager[None]:
    """Hold the migration lock (shared: never beside a migration) or a dataset's lock (exclusive)."""
    return operation_lock(resources, recorder, name, timeout, shared=shared)


def dataset_lock(dataset_id: str) -> str:
    """One legacy operation per dataset at a time (labels and moves share it)."""
    return f"legacy-dataset:{dataset_id}"


class Progress:
    """Counts kept in the operation's progress (flushed by its heartbeat) and pushed to a listener (the CLI)."""

    def __init__(self, recorder: Recorder, listener: ProgressListener | None) -> None:
        self.recorder = recorder
        self.listener = listener
        self.state: dict[str, Any] = {"datasets_total": 0, "datasets_done": 0, "current_dataset": None, "phase": "starting"}
        self._lap = time.perf_counter()

    def start(self, total: int) -> None:
        self.update(datasets_total=total)

    def dataset(self, display: str) -> None:
        self.update(current_dataset=display, phase="reading")

    def phase(self, phase: str) -> None:
        self.update(phase=phase)

    def done(self) -> None:
        self.update(datasets_done=self.state["datasets_done"] + 1, phase="done")

    def update(self, **values: Any) -> None:
        self.state.update(values)
        self.recorder.progress = dict(self.state)
        if self.listener is not None:
            self.listener(dict(self.state))

"""Operation: give legacy TextClassification/TokenClassification datasets the label schema their records need.

For each dataset the new schema is computed by ``schema.plan_schema`` from the stored schema, the old
UI's key and the exact set of labels in the records' annotations and predictions (an aggregation over
the indexed per-agent keyword fields: see ``search.legacy.labels``). It is written as Argilla writes it
(``{id, name}`` objects in the dataset document's ``settings.label_schema``, ``last_updated`` left as
it is), with a conditional update, and only when it differs: a second run writes nothing.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import msgspec

from service.core.errors import DocumentChanged, InvalidRequest
from service.ops.context import Resources
from service.ops.history_schema import ensure_history_schema
from service.ops.legacy.common import (
    Progress,
    ProgressListener,
    Started,
    dataset_lock,
    hold,
    legacy_search,
    records_index_of,
    select,
    utcnow_iso,
)
from service.ops.legacy.requests import LabelsOutcome, LegacyLabelsRequest, LegacyLabelsResult, SkippedLegacy
from service.ops.legacy.schema import SchemaPlan, plan_schema
from service.ops.migration_lock import MIGRATION_LOCK
from service.ops.recording import final_record, recorded
from service.search.engine import SearchEngine
from service.search.legacy.catalog import get_dataset, list_datasets
from service.search.legacy.documents import LABEL_TASKS, LegacyDataset, without_ui_key
from service.search.legacy.labels import labels_by_aggregation

KIND = "legacy-labels"
WRITE_ATTEMPTS = 3


def labels_resource(request: LegacyLabelsRequest) -> str:
    """What the operation works on, as history records it."""
    if isinstance(request.datasets, list):
        return "legacy:" + ",".join(request.datasets)
    return "legacy:datasets"


def check_labels_request(request: LegacyLabelsRequest) -> list[str] | None:
    """The dataset refs to fix (None: all); ``datasets`` must be given, as a non-empty list or ``"all"``."""
    if request.datasets is None or request.datasets == []:
        raise InvalidRequest('datasets is required: a list of dataset ids (workspace/name) or "all"', field="datasets")
    return None if request.datasets == "all" else list(request.datasets)


async def legacy_labels(
    resources: Resources,
    actor: str,
    request: LegacyLabelsRequest,
    *,
    lock_timeout: float | None = None,
    operation_id: str | None = None,
    on_started: Started | None = None,
    on_progress: ProgressListener | None = None,
) -> LegacyLabelsResult:
    """Fix the label schemas of the selected legacy datasets, recorded in history as kind ``legacy-labels``."""
    await ensure_history_schema(resources)
    timeout = resources.settings.lock_timeout if lock_timeout is None else lock_timeout
    async with recorded(
        resources,
        kind=KIND,
        actor=actor,
        resource=labels_resource(request),
        parameters=msgspec.to_builtins(request),
        operation_id=operation_id,
    ) as recorder:
        progress = Progress(recorder, on_progress)
        refs = check_labels_request(request)
        search, index = await legacy_search(resources)
        chosen = select(await list_datasets(search, index), refs)
        outcomes: list[LabelsOutcome] = []
        skipped = [_skip(d, "Text2Text and other tasks have no label schema") for d in chosen if d.task not in LABEL_TASKS]
        eligible = [d for d in chosen if d.task in LABEL_TASKS]
        progress.start(len(eligible))
        async with contextlib.AsyncExitStack() as held:
            await held.enter_async_context(hold(resources, recorder, MIGRATION_LOCK, timeout, shared=True))
            # One dataset: its lock is taken before the answer, so a busy dataset is a 409 at once (as a reindex
            # of one dataset); with several, each is locked in turn (one connection at a time, not one per dataset).
            single = len(eligible) == 1
            if single:
                await held.enter_async_context(hold(resources, recorder, dataset_lock(eligible[0].id), timeout, shared=False))
            recorder.accept(on_started)
            for dataset in eligible:
                progress.dataset(dataset.display)
                async with (
                    contextlib.nullcontext()
                    if single
                    else hold(resources, recorder, dataset_lock(dataset.id), timeout, shared=False)
                ):
                    done = await DatasetLabels(resources, search, index, dataset, request, progress).run()
                (outcomes if isinstance(done, LabelsOutcome) else skipped).append(done)  # type: ignore[arg-type]
                progress.done()
        recorder.result = {"dry_run": request.dry_run, **_builtins(outcomes, skipped)}
    return LegacyLabelsResult(
        operation=await final_record(resources, recorder.id), dry_run=request.dry_run, datasets=outcomes, skipped=skipped
    )


def _builtins(outcomes: list[LabelsOutcome], skipped: list[SkippedLegacy]) -> dict[str, Any]:
    return {"datasets": msgspec.to_builtins(outcomes), "skipped": msgspec.to_builtins(skipped)}


def _skip(dataset: LegacyDataset, reason: str) -> SkippedLegacy:
    return SkippedLegacy(dataset=dataset.display, id=dataset.id, task=dataset.task, reason=reason)


class DatasetLabels:
    """One dataset: read it again under its lock, compute the exact labels, write the schema if it changed."""

    def __init__(
        self,
        resources: Resources,
        search: SearchEngine,
        index: str,
        dataset: LegacyDataset,
        request: LegacyLabelsRequest,
        progress: Progress,
    ) -> None:
        self.resources, self.search, self.index = resources, search, index
        self.dataset, self.request, self.progress = dataset, request, progress
        self.records_index = records_index_of(resources, dataset.id)

    async def run(self) -> LabelsOutcome | SkippedLegacy:
        began = time.perf_counter()
        self.progress.phase("computing labels")
        record_labels, records = await self._record_labels()
        for attempt in range(WRITE_ATTEMPTS):
            current = await get_dataset(self.search, self.index, self.dataset.id)
            if current is None:
                return _skip(self.dataset, "the dataset document was deleted while the operation ran")
            plan = plan_schema(current.schema, current.ui_key, record_labels, include_ui_labels=self.request.include_ui_labels)
            if not plan.after:
                return _skip(current, "no labels anywhere: no schema, no UI labels, no labelled records")
            remove_key = self.request.remove_ui_key and current.ui_key is not None
            try:
                action = await self._write(current, plan, remove_key)
            except DocumentChanged:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                continue
            return self._outcome(current, plan, action, remove_key, sorted(record_labels), records, began)
        raise AssertionError("unreachable")

    async def _record_labels(self) -> tuple[set[str], int]:
        state = await self.search.state(self.records_index)
        if state.kind == "missing":
            return set(), 0
        labels = await labels_by_aggregation(self.search, self.records_index, self.dataset.task, state.mappings)
        return labels, await self.search.count(self.records_index)

    async def _write(self, current: LegacyDataset, plan: SchemaPlan, remove_key: bool) -> str:
        if not plan.changed and not remove_key:
            return "unchanged"
        if self.request.dry_run:
            return "would-update"
        self.progress.phase("writing schema")
        partial: dict[str, Any] = {"settings": {"label_schema": {"labels": plan.after}}}
        if remove_key:
            # Argilla's own metadata PATCH bumps last_updated; saving settings does not.
            partial |= {"metadata": without_ui_key(current.doc.source.get("metadata") or []), "last_updated": utcnow_iso()}
        await self.search.update_document(
            self.index, current.id, partial, if_seq_no=(current.doc.seq_no, current.doc.primary_term)
        )
        return "updated"

    def _outcome(
        self,
        current: LegacyDataset,
        plan: SchemaPlan,
        action: str,
        remove_key: bool,
        record_labels: list[str],
        records: int,
        began: float,
    ) -> LabelsOutcome:
        return LabelsOutcome(
            dataset=current.display,
            id=current.id,
            task=current.task,
            action=action,  # type: ignore[arg-type]
            schema_before=plan.before,
            schema_after=plan.after,
            added=plan.added,
            added_from_ui=plan.from_ui,
            added_from_records=plan.from_records,
            ui_labels_not_added=plan.ui_not_added,
            ui_key_removed=remove_key and action == "updated",
            record_labels=record_labels,
            records=records,
            seconds=round(time.perf_counter() - began, 3),
        )

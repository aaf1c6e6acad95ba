"""Operation: move Argilla 1.x datasets without a workspace (pre-1.4) into a workspace, as ``<ws>.<name>``.

Per dataset, each step leaves a state a rerun finishes (the original stays until the copy is verified):

1. write block on ``ar.dataset.<name>``, ``_clone`` to ``ar.dataset.<ws>.<name>`` (a clone keeps every
   indexed field, including those ``_source`` excludes: ``annotated_as``, ``predicted_by``, ...), the
   source's replica count and no write block on the clone;
2. document counts compared;
3. the dataset document written under ``<ws>.<name>`` with ``workspace``/``owner`` set and
   ``source_workspace``/``copied_from`` in its metadata, as Argilla's copy records them;
4. the original index deleted, then its document (or, with ``keep_original``, its write block lifted).

Before step 1 the operation records its intent (source index and uuid, target) in its progress; a rerun
accepts an existing target index only if it is a clone of this very source that such an intent names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec

from service.core.errors import InvalidRequest, LegacyFixFailed, LegacyNameTaken, UnknownWorkspace, UnsupportedSchema
from service.db import history
from service.db.workspaces import has_workspaces_table, workspace_exists
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
from service.ops.legacy.requests import LegacyWorkspacesRequest, LegacyWorkspacesResult, MoveOutcome
from service.ops.migration_lock import MIGRATION_LOCK
from service.ops.recording import Recorder, final_record, recorded
from service.search.engine import IndexState, SearchEngine
from service.search.legacy.catalog import get_dataset, list_datasets
from service.search.legacy.documents import LegacyDataset, encode_metadata_value

KIND = "legacy-workspaces"
INTENT_LOOKBACK = 100
COPY_KEYS = ("source_workspace", "copied_from")
# Argilla 1.x workspace names (and dataset names): no dots, which would break the <ws>.<name> id.
WORKSPACE_NAME = re.compile(r"^(?!-|_)[A-Za-z0-9_-]+$")


def workspaces_resource(request: LegacyWorkspacesRequest) -> str:
    return f"legacy-workspace:{request.target_workspace}"


def check_workspaces_request(request: LegacyWorkspacesRequest) -> str:
    target = (request.target_workspace or "").strip()
    if not target:
        raise InvalidRequest("target_workspace is required: the name of an existing workspace", field="target_workspace")
    if not WORKSPACE_NAME.match(target):
        raise InvalidRequest(
            f"target_workspace {target!r} is not a workspace name; accepted: letters, digits, - and _ (not first), no dots",
            field="target_workspace",
        )
    return target


@dataclass
class MovePlan:
    """What one move will do, checked before anything changes."""

    dataset: LegacyDataset
    target_id: str
    source_index: str
    target_index: str
    source: IndexState
    target: IndexState
    target_doc: LegacyDataset | None

    @property
    def resumes(self) -> bool:
        return self.target.kind != "missing" or self.target_doc is not None


async def legacy_workspaces(
    resources: Resources,
    actor: str,
    request: LegacyWorkspacesRequest,
    *,
    lock_timeout: float | None = None,
    operation_id: str | None = None,
    on_started: Started | None = None,
    on_progress: ProgressListener | None = None,
) -> LegacyWorkspacesResult:
    """Move the selected workspace-less datasets, recorded in history as kind ``legacy-workspaces``."""
    await ensure_history_schema(resources)
    timeout = resources.settings.lock_timeout if lock_timeout is None else lock_timeout
    async with recorded(
        resources,
        kind=KIND,
        actor=actor,
        resource=workspaces_resource(request),
        parameters=msgspec.to_builtins(request),
        operation_id=operation_id,
    ) as recorder:
        progress = Progress(recorder, on_progress)
        target = check_workspaces_request(request)
        search, index = await legacy_search(resources)
        async with contextlib.AsyncExitStack() as held:
            await held.enter_async_context(hold(resources, recorder, MIGRATION_LOCK, timeout, shared=True))
            await _check_workspace(resources, target)
            everything = await list_datasets(search, index)
            workspace_less = [d for d in everything if d.workspace is None]
            chosen = _choose(everything, workspace_less, request.datasets)
            mover = Mover(resources, search, index, target, recorder.id, progress)
            plans = [await mover.plan(d) for d in chosen]
            # One move: its locks before the answer, so a busy dataset is a 409 at once; several: each in turn.
            single = len(plans) == 1 and not request.dry_run
            if single:
                await held.enter_async_context(_move_locks(resources, recorder, plans[0], timeout))
            recorder.accept(on_started)
            progress.start(len(plans))
            outcomes = []
            for plan in plans:
                progress.dataset(plan.dataset.name)
                if request.dry_run:
                    outcomes.append(await mover.dry(plan))
                else:
                    async with contextlib.nullcontext() if single else _move_locks(resources, recorder, plan, timeout):
                        outcomes.append(await mover.move(await mover.plan(plan.dataset), request.keep_original))
                progress.done()
        recorder.result = {
            "dry_run": request.dry_run,
            "target_workspace": target,
            "workspace_less": [d.id for d in workspace_less],
            "datasets": msgspec.to_builtins(outcomes),
        }
    return LegacyWorkspacesResult(
        operation=await final_record(resources, recorder.id),
        dry_run=request.dry_run,
        target_workspace=target,
        workspace_less=[d.id for d in workspace_less],
        datasets=outcomes,
    )


@contextlib.asynccontextmanager
async def _move_locks(resources: Resources, recorder: Recorder, plan: MovePlan, timeout: float) -> AsyncIterator[None]:
    """The source dataset's lock and its target name's: no other legacy operation on either while it moves."""
    async with (
        hold(resources, recorder, dataset_lock(plan.dataset.id), timeout, shared=False),
        hold(resources, recorder, dataset_lock(plan.target_id), timeout, shared=False),
    ):
        yield


async def _check_workspace(resources: Resources, target: str) -> None:
    if not await has_workspaces_table(resources.engine):
        raise UnsupportedSchema(
            "the database has no workspaces table (Argilla keeps workspaces in SQL since 1.6); "
            "migrate it first, then create the workspace"
        )
    if not await workspace_exists(resources.engine, target):
        raise UnknownWorkspace(
            f"workspace {target!r} does not exist in the database; create it in Argilla first (nothing was changed)",
            workspace=target,
        )


def _choose(everything: list[LegacyDataset], workspace_less: list[LegacyDataset], refs: list[str] | None) -> list[LegacyDataset]:
    if refs is not None:
        with_workspace = {d.id for d in everything if d.workspace is not None}
        named = [r.strip() for r in refs]
        already = [r for r in named if r in with_workspace or r.replace("/", ".") in with_workspace]
        if already:
            raise InvalidRequest(f"dataset(s) already in a workspace: {', '.join(already)}; name datasets without one")
    return select(workspace_less, refs)


class Mover:
    """Plans and performs the moves of one operation."""

    def __init__(
        self, resources: Resources, search: SearchEngine, index: str, workspace: str, operation_id: str, progress: Progress
    ) -> None:
        self.resources, self.search, self.index, self.workspace = resources, search, index, workspace
        self.operation_id, self.progress = operation_id, progress
        self.laps: dict[str, float] = {}

    async def plan(self, dataset: LegacyDataset) -> MovePlan:
        """Where the dataset goes; refuses (409, nothing changed) a target name or index that is not ours."""
        target_id = f"{self.workspace}.{dataset.name}"
        source_index = records_index_of(self.resources, dataset.id)
        target_index = records_index_of(self.resources, target_id)
        plan = MovePlan(
            dataset,
            target_id,
            source_index,
            target_index,
            await self.search.state(source_index),
            await self.search.state(target_index),
            await get_dataset(self.search, self.index, target_id),
        )
        if plan.target_doc is not None and not _is_our_copy(plan.target_doc, dataset):
            raise LegacyNameTaken(
                f"workspace {self.workspace!r} already has a dataset named {dataset.name!r} ({target_id}); "
                "nothing was changed: move into another workspace, or rename one of them in Argilla",
                dataset=dataset.id,
                target=target_id,
            )
        if plan.target.kind != "missing" and not await self._is_our_clone(plan):
            raise LegacyNameTaken(
                f"index {target_index} already exists and is not a clone of {source_index} made by this tool; "
                "nothing was changed",
                dataset=dataset.id,
                target=target_id,
                index=target_index,
            )
        return plan

    async def _is_our_clone(self, plan: MovePlan) -> bool:
        """A clone of this source that a recorded intent of an earlier move of ours names.

        The intent holds the source's uuid and, once the clone exists, the clone's uuid; a clone created
        after the intent but before its uuid was recorded (a crash during ``_clone``) is recognised by its
        creation time and, on OpenSearch, by ``index.resize.source.*`` (Elasticsearch hides those).
        """
        settings = plan.target.settings
        resized_from = settings.get("index.resize.source.name")
        if resized_from is not None and resized_from != (plan.source.concrete or plan.source_index):
            return False
        if plan.source.kind != "missing" and settings.get("index.resize.source.uuid") not in (
            None,
            plan.source.settings.get("index.uuid"),
        ):
            return False
        recent, _ = await history.list_operations(self.resources.engine, kind=KIND, limit=INTENT_LOOKBACK)
        for op in recent:
            intent = ((op.progress or {}).get("intents") or {}).get(plan.dataset.id) or {}
            if intent.get("target_index") != plan.target_index:
                continue
            if plan.source.kind != "missing" and intent.get("source_uuid") != plan.source.settings.get("index.uuid"):
                continue
            if intent.get("target_uuid") == settings.get("index.uuid"):
                return True
            created = int(settings.get("index.creation_date", 0))
            if intent.get("target_uuid") is None and created >= int(intent.get("started_ms", 0)):
                return True
        return False

    async def dry(self, plan: MovePlan) -> MoveOutcome:
        began = time.perf_counter()
        records = await self.search.count(plan.source_index) if plan.source.kind != "missing" else 0
        return self._outcome(plan, "would-move", records=records, kept=False, began=began)

    async def move(self, plan: MovePlan, keep_original: bool) -> MoveOutcome:
        began = self._last = time.perf_counter()
        self.laps = {}
        try:
            records = await self._copy_index(plan)
            await self._finish(plan, keep_original)
        except BaseException:
            # The original stays whole and writable; a rerun re-verifies the clone (re-cloning if it took writes).
            if plan.source.kind != "missing":
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.search.put_settings(plan.source_index, {"index.blocks.write": None}))
            raise
        action = "resumed" if plan.resumes else "moved"
        return self._outcome(plan, action, records=records, kept=keep_original, began=began)

    async def _copy_index(self, plan: MovePlan) -> int:
        if plan.source.kind != "missing":
            return await self._clone(plan)
        if plan.target.kind != "missing":
            # The original index is gone: an earlier run verified the clone and got as far as deleting it.
            return await self.search.count(plan.target_index)
        return 0  # a dataset without a records index: only its document moves

    async def _finish(self, plan: MovePlan, keep_original: bool) -> None:
        """Write the new document, then remove the original index and document (or unblock a kept one)."""
        self.progress.phase("writing document")
        await self.search.index_document(self.index, plan.target_id, self._target_source(plan.dataset))
        self._lap("document")
        self.progress.phase("removing original")
        if plan.source.kind != "missing":
            if keep_original:
                await self.search.put_settings(plan.source_index, {"index.blocks.write": None})
            else:
                await self.search.delete_index(plan.source_index)
        if not keep_original:
            await self.search.delete_document(self.index, plan.dataset.id)
        self._lap("remove_original")

    async def _clone(self, plan: MovePlan) -> int:
        """Clone (unless a verified clone of ours is there), lift the clone's write block, compare counts."""
        source, target = plan.source_index, plan.target_index
        expected = await self.search.count(source)
        if plan.target.kind != "missing":
            await self.search.refresh(target)
            if await self.search.count(target) != expected:
                # Our clone, but the original took writes since (its block was lifted after a failure).
                await self.search.delete_index(target)
                plan.target = IndexState(target, "missing")
        if plan.target.kind == "missing":
            await self._record_intent(plan)
            self.progress.phase("cloning")
            replicas = plan.source.settings.get("index.number_of_replicas", "1")
            await self.search.put_settings(source, {"index.blocks.write": True})
            try:
                await self.search.clone(source, target, {"index.number_of_replicas": int(replicas)})
            except BaseException:
                await self.search.put_settings(source, {"index.blocks.write": None})
                raise
            self._lap("clone")
            await self._record_intent(plan, target_uuid=(await self.search.state(target)).settings.get("index.uuid"))
        await self.search.put_settings(target, {"index.blocks.write": None})
        self.progress.phase("verifying")
        await self.search.refresh(target)
        copied = await self.search.count(target)
        if copied != expected:
            raise LegacyFixFailed(
                f"{target} holds {copied} documents but {source} holds {expected}; the original is kept, run again",
                source=source,
                target=target,
            )
        self._lap("verify")
        return copied

    async def _record_intent(self, plan: MovePlan, *, target_uuid: str | None = None) -> None:
        """Stored in the operation's progress at once: what a rerun needs to recognise this clone as ours."""
        intents = dict(self.progress.state.get("intents") or {})
        intent = {"target_index": plan.target_index, "source_uuid": plan.source.settings.get("index.uuid")}
        if target_uuid is None:
            # Node clocks stamp index.creation_date; a little slack covers a skewed client clock.
            intent["started_ms"] = int(time.time() * 1000) - 60_000
        else:
            intent = {**intents.get(plan.dataset.id, intent), "target_uuid": target_uuid}
        intents[plan.dataset.id] = intent
        self.progress.update(intents=intents)
        await self.progress.recorder.flush()

    def _target_source(self, dataset: LegacyDataset) -> dict[str, Any]:
        """The original document under its new id, workspace and owner set, the copy's provenance recorded."""
        source = dict(dataset.doc.source)
        metadata = [e for e in source.get("metadata") or [] if not (isinstance(e, dict) and e.get("key") in COPY_KEYS)]
        metadata += [
            {"key": "source_workspace", "value": encode_metadata_value(source.get("workspace"))},
            {"key": "copied_from", "value": encode_metadata_value(dataset.name)},
        ]
        source.update(
            id=f"{self.workspace}.{dataset.name}",
            workspace=self.workspace,
            owner=self.workspace,
            metadata=metadata,
            last_updated=utcnow_iso(),
        )
        return source

    def _lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.laps[phase] = round(now - self._last, 3)
        self._last = now

    def _outcome(self, plan: MovePlan, action: str, *, records: int, kept: bool, began: float) -> MoveOutcome:
        has_index = plan.source.kind != "missing" or plan.target.kind != "missing"
        return MoveOutcome(
            dataset=plan.dataset.name,
            task=plan.dataset.task,
            action=action,  # type: ignore[arg-type]
            source_id=plan.dataset.id,
            target_id=plan.target_id,
            source_index=plan.source_index if has_index else None,
            target_index=plan.target_index if has_index else None,
            records=records,
            kept_original=kept,
            seconds=round(time.perf_counter() - began, 3),
            phase_seconds=dict(self.laps),
        )


def _is_our_copy(target: LegacyDataset, dataset: LegacyDataset) -> bool:
    """The target document is the copy of ``dataset`` (a move interrupted after writing it)."""
    metadata = {e.get("key"): e.get("value") for e in target.doc.source.get("metadata") or [] if isinstance(e, dict)}
    return (
        target.task == dataset.task
        and metadata.get("copied_from") == json.dumps(dataset.name)
        and metadata.get("source_workspace") == json.dumps(dataset.doc.source.get("workspace"))
    )

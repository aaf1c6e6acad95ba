"""Request and result types of the legacy operations (msgspec: requests strict, results frozen)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from service.core.operation_record import OperationRecord

LabelsAction = Literal["updated", "unchanged", "would-update"]
MoveAction = Literal["moved", "resumed", "would-move"]


class LegacyLabelsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``datasets``: ids (``workspace/name``, or a bare name for pre-1.4 datasets) or ``"all"``."""

    datasets: list[str] | Literal["all"] | None = None
    dry_run: bool = False
    include_ui_labels: bool = True
    remove_ui_key: bool = False


class LegacyWorkspacesRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Move workspace-less datasets (all of them, or those named) into ``target_workspace``."""

    target_workspace: str | None = None
    datasets: list[str] | None = None
    dry_run: bool = False
    keep_original: bool = False


class LabelsOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """One dataset's label schema before and after, and where each added label came from."""

    dataset: str
    id: str
    task: str
    action: LabelsAction
    schema_before: list[dict[str, Any]] | None
    schema_after: list[dict[str, Any]]
    added: list[str]
    added_from_ui: list[str]
    added_from_records: list[str]
    ui_labels_not_added: list[str]
    ui_key_removed: bool
    record_labels: list[str]
    records: int
    seconds: float


class SkippedLegacy(msgspec.Struct, frozen=True, kw_only=True):
    dataset: str
    id: str
    task: str
    reason: str


class LegacyLabelsResult(msgspec.Struct, frozen=True, kw_only=True):
    operation: OperationRecord
    dry_run: bool
    datasets: list[LabelsOutcome]
    skipped: list[SkippedLegacy]


class MoveOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """One workspace-less dataset moved (or, in a dry run, what would be moved) into the target workspace."""

    dataset: str
    task: str
    action: MoveAction
    source_id: str
    target_id: str
    source_index: str | None
    target_index: str | None
    records: int
    kept_original: bool
    seconds: float
    phase_seconds: dict[str, float] = {}


class LegacyWorkspacesResult(msgspec.Struct, frozen=True, kw_only=True):
    operation: OperationRecord
    dry_run: bool
    target_workspace: str
    workspace_less: list[str]
    datasets: list[MoveOutcome]


class LegacyDatasetStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One legacy dataset as an operator needs to see it before fixing it."""

    id: str
    name: str
    workspace: str | None
    task: str
    records: int | None
    has_label_schema: bool
    schema_labels: int
    has_ui_key: bool
    ui_labels: list[str]
    needs: list[str]


class LegacyStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What ``ar.datasets`` holds: datasets per task, with a UI key, without a schema, without a workspace."""

    legacy_data: bool
    message: str
    datasets_index: str
    namespace: str | None
    tasks: dict[str, int]
    with_ui_key: list[str]
    without_label_schema: list[str]
    without_workspace: list[str]
    datasets: list[LegacyDatasetStatus]

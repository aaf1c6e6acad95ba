"""Inputs and results of the operations: msgspec Structs shared by the API and the CLI's --json."""

from __future__ import annotations

from typing import Literal

import msgspec

from service.core.operation_record import OperationRecord

Direction = Literal["upgrade", "downgrade", "none"]


class MigrateRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What to migrate to: ``head`` (default), ``base``, a release tag, or a revision id or unique prefix."""

    revision: str = "head"
    dry_run: bool = False
    allow_downgrade: bool = False


class TaggedRevision(msgspec.Struct, frozen=True):
    tag: str
    revision: str


class RevisionEntry(msgspec.Struct, frozen=True):
    revision: str
    down_revision: str | None
    message: str
    tag: str | None
    is_head: bool


class CurrentRevision(msgspec.Struct, frozen=True):
    revision: str
    down_revision: str | None
    message: str | None
    tag: str | None
    is_head: bool


class RevisionsResult(msgspec.Struct, frozen=True):
    """Release tags, the chain (newest first), heads and the database's current revision(s)."""

    tags: list[TaggedRevision]
    revisions: list[RevisionEntry]
    heads: list[str]
    current: list[CurrentRevision]
    dialect: str
    database_url: str


class DroppedTable(msgspec.Struct, frozen=True):
    table: str
    rows: int


class DroppedColumn(msgspec.Struct, frozen=True):
    table: str
    column: str
    non_null_values: int


class PlannedStep(msgspec.Struct, frozen=True):
    revision: str
    down_revision: str | None
    message: str
    direction: Literal["upgrade", "downgrade"]
    tag: str | None
    dropped_tables: list[DroppedTable] = []
    dropped_columns: list[DroppedColumn] = []
    data_loss: str = ""

    @property
    def destructive(self) -> bool:
        return bool(self.dropped_tables or self.dropped_columns or self.data_loss)


class MigrationPlan(msgspec.Struct, frozen=True):
    """The steps from the current revision to the target, with what each downgrade destroys."""

    from_revision: str | None
    to_revision: str
    direction: Direction
    steps: list[PlannedStep]
    # What the run would refuse or should be checked first (a dry run reports instead of refusing).
    warnings: list[str] = []


class StepProgress(msgspec.Struct, frozen=True):
    """A migration step starting or finishing: what the CLI prints and the operation's ``progress`` holds."""

    event: Literal["started", "finished"]
    step: int
    steps: int
    revision: str
    direction: Literal["upgrade", "downgrade"]
    message: str
    tag: str | None
    seconds: float | None
    elapsed_seconds: float


class MigrateResult(msgspec.Struct, frozen=True):
    """Outcome of a migrate: the operation row, the plan and, for a dry run, the SQL."""

    operation: OperationRecord
    plan: MigrationPlan
    dry_run: bool
    sql: str | None = None


class OperationPage(msgspec.Struct, frozen=True):
    items: list[OperationRecord]
    total: int
    limit: int
    offset: int

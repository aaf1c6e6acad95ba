"""An operation as the history records it and the API and the CLI show it: its statuses and its record."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

import msgspec

Status = Literal["queued", "running", "succeeded", "failed", "interrupted"]
STATUSES: tuple[Status, ...] = get_args(Status)
ACTIVE: tuple[Status, ...] = ("queued", "running")
FINISHED: tuple[Status, ...] = ("succeeded", "failed", "interrupted")
# Every kind of operation the history records (each job in ``service.ops`` names its own).
KINDS = ("migrate", "reindex", "legacy-labels", "legacy-workspaces")


class OperationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One maintenance operation as recorded in SQL and shown by the API and the CLI."""

    id: str
    kind: str
    status: Status
    actor: str
    resource: str
    parameters: dict[str, Any]
    from_revision: str | None = None
    to_revision: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    duration_seconds: float | None = None
    progress: dict[str, Any] | None = None
    steps: list[dict[str, Any]] | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    idempotency_key: str | None = None

"""Operations: read the operation history (list with filters, show one)."""

from __future__ import annotations

import msgspec

from service.core.errors import InvalidRequest
from service.core.operation_record import KINDS, STATUSES, OperationRecord
from service.db import history
from service.ops.context import Resources
from service.ops.history_schema import ensure_history_schema
from service.ops.results import OperationPage

MAX_LIMIT = 500


async def list_operations(
    resources: Resources, *, kind: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
) -> OperationPage:
    """Newest first, filtered by kind and status, ``limit`` per page from ``offset``."""
    if kind is not None and kind not in KINDS:
        raise InvalidRequest(f"unknown kind {kind!r}; accepted: {', '.join(KINDS)}")
    if status is not None and status not in STATUSES:
        raise InvalidRequest(f"unknown status {status!r}; accepted: {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit {limit} is out of range; accepted: 1 to {MAX_LIMIT}")
    if offset < 0:
        raise InvalidRequest(f"offset {offset} is negative; accepted: 0 or more")
    await ensure_history_schema(resources)
    items, total = await history.list_operations(resources.engine, kind=kind, status=status, limit=limit, offset=offset)
    return OperationPage(items=items, total=total, limit=limit, offset=offset)


async def get_operation(resources: Resources, operation_id: str) -> OperationRecord:
    """One operation, or ``OperationNotFound``."""
    await ensure_history_schema(resources)
    record = await history.get(resources.engine, operation_id)
    live = resources.live.get(operation_id)
    if live is not None and record.status == "running":
        # Ours and running: its progress as of now, even while a SQLite migration keeps history writes waiting.
        snapshot = live.snapshot()
        record = msgspec.structs.replace(record, progress=snapshot["progress"], steps=snapshot["steps"])
    return record

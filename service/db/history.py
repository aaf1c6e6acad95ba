"""Operation history repository: one row per operation in ``maint_operations``, committed at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.core.errors import OperationNotFound
from service.core.operation_record import ACTIVE, OperationRecord, Status
from service.db.errors import translated
from service.db.history_tables import operations


class StoredOperation(msgspec.Struct, frozen=True):
    """A record with the internal columns the API never shows."""

    record: OperationRecord
    fingerprint: str | None
    holder: str | None


def utcnow() -> datetime:
    """Naive UTC, as stored (Argilla's columns never carry a zone either)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


_TOTAL = "total_count"


def _stored(row: sa.Row[Any]) -> StoredOperation:
    # Keys are quoted_name (a str subclass) that msgspec refuses as dict keys.
    data = {str(key): value for key, value in row._mapping.items() if key != _TOTAL}
    fingerprint, holder = data.pop("request_fingerprint"), data.pop("holder")
    for key in ("created_at", "started_at", "finished_at", "heartbeat_at"):
        data[key] = _aware(data[key])
    return StoredOperation(msgspec.convert(data, OperationRecord), fingerprint, holder)


def _fit(text: str, column: sa.Column[Any]) -> str:
    """``text`` cut to the column's length (a long dataset list, say), marked as cut; the full request is in parameters."""
    limit = getattr(column.type, "length", None)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


@translated
async def create(
    engine: AsyncEngine,
    *,
    kind: str,
    actor: str,
    resource: str,
    parameters: dict[str, Any],
    holder: str,
    status: Status = "queued",
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    from_revision: str | None = None,
) -> tuple[StoredOperation, bool]:
    """Insert and commit a new operation; with a known idempotency key, return that one (``created=False``).

    Raises ``DatabaseLocked`` (an ``OperationConflict``) while a SQLite migration holds the write lock."""
    now = utcnow()
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "status": status,
        "actor": _fit(actor, operations.c.actor),
        "resource": _fit(resource, operations.c.resource),
        "parameters": parameters,
        "created_at": now,
        "heartbeat_at": now,
        "holder": holder,
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
        "from_revision": from_revision,
        "started_at": now if status == "running" else None,
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(operations.insert().values(**values))
    except IntegrityError:
        if idempotency_key is None:
            raise
        existing = await find_by_key(engine, idempotency_key)
        if existing is None:
            raise
        return existing, False
    return await get_stored(engine, values["id"]), True


@translated
async def update(engine: AsyncEngine, operation_id: str, **values: Any) -> None:
    """Commit new column values for one operation."""
    async with engine.begin() as conn:
        await conn.execute(operations.update().where(operations.c.id == operation_id).values(**values))


@translated
async def discard(engine: AsyncEngine, operation_id: str) -> None:
    """Delete one operation that never started work (a refused request)."""
    async with engine.begin() as conn:
        await conn.execute(operations.delete().where(operations.c.id == operation_id))


@translated
async def get_stored(engine: AsyncEngine, operation_id: str) -> StoredOperation:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(operations).where(operations.c.id == operation_id))).first()
    if row is None:
        raise OperationNotFound(f"no operation with id {operation_id!r}; list them with GET /operations")
    return _stored(row)


@translated
async def get(engine: AsyncEngine, operation_id: str) -> OperationRecord:
    """One operation by id, or ``OperationNotFound``."""
    return (await get_stored(engine, operation_id)).record


@translated
async def find_by_key(engine: AsyncEngine, idempotency_key: str) -> StoredOperation | None:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(operations).where(operations.c.idempotency_key == idempotency_key))).first()
    return None if row is None else _stored(row)


@translated
async def list_operations(
    engine: AsyncEngine, *, kind: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[OperationRecord], int]:
    """A page of operations, newest first, and the total matching count."""
    where: list[sa.ColumnElement[bool]] = []
    if kind:
        where.append(operations.c.kind == kind)
    if status:
        where.append(operations.c.status == status)
    # The total rides on the page's rows (a window count is computed before LIMIT/OFFSET): one statement, in
    # autocommit on PostgreSQL (no BEGIN/ROLLBACK round trips); a page past the end counts on its own.
    query = (
        sa.select(operations, sa.func.count().over().label(_TOTAL))
        .where(*where)
        .order_by(operations.c.created_at.desc(), operations.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        rows = (await conn.execute(query)).all()
        if rows:
            total = rows[0]._mapping[_TOTAL]
        else:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(operations).where(*where))).scalar_one()
    return [_stored(row).record for row in rows], int(total)


@translated
async def active_on(engine: AsyncEngine, resources: tuple[str, ...]) -> list[OperationRecord]:
    """Queued or running operations on any of ``resources``, oldest first."""
    query = (
        sa.select(operations)
        .where(operations.c.status.in_(ACTIVE), operations.c.resource.in_(resources))
        .order_by(operations.c.created_at)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_stored(row).record for row in rows]


@translated
async def active_on_kind(engine: AsyncEngine, kind: str) -> list[OperationRecord]:
    """Queued or running operations of ``kind``, oldest first."""
    query = (
        sa.select(operations).where(operations.c.status.in_(ACTIVE), operations.c.kind == kind).order_by(operations.c.created_at)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_stored(row).record for row in rows]


@translated
async def active_stored(engine: AsyncEngine) -> list[StoredOperation]:
    """Every queued or running operation with its holder, oldest first; none when the history table is missing."""
    async with engine.connect() as conn:
        if not await conn.run_sync(lambda sync: sa.inspect(sync).has_table(operations.name)):
            return []
        rows = (
            await conn.execute(sa.select(operations).where(operations.c.status.in_(ACTIVE)).order_by(operations.c.created_at))
        ).all()
    return [_stored(row) for row in rows]


@translated
async def settle(
    engine: AsyncEngine,
    operation_id: str,
    *,
    status: Status,
    error: dict[str, Any] | None,
    result: dict[str, Any] | None = None,
) -> bool:
    """Record the outcome of an operation nobody is running any more, if it is still active; True when written."""
    now = utcnow()
    values: dict[str, Any] = {"status": status, "error": error, "finished_at": now}
    if result is not None:
        values["result"] = result
    async with engine.begin() as conn:
        done = await conn.execute(
            operations.update().where(operations.c.id == operation_id, operations.c.status.in_(ACTIVE)).values(**values)
        )
    return bool(done.rowcount)


@translated
async def interrupt(
    engine: AsyncEngine,
    *,
    stale_before: datetime | None = None,
    holder: str | None = None,
    reason: str,
    exclude: tuple[str, ...] = (),
) -> list[str]:
    """Mark active operations interrupted: those whose heartbeat stopped before ``stale_before``,
    or those held by ``holder``, except the ids in ``exclude``. Returns their ids."""
    cond: list[sa.ColumnElement[bool]] = [operations.c.status.in_(ACTIVE)]
    if exclude:
        cond.append(operations.c.id.not_in(exclude))
    if stale_before is not None:
        cond.append(operations.c.heartbeat_at < stale_before)
    if holder is not None:
        cond.append(operations.c.holder == holder)
    now = utcnow()
    async with engine.begin() as conn:
        ids = [r[0] for r in (await conn.execute(sa.select(operations.c.id).where(*cond))).all()]
        if ids:
            await conn.execute(
                operations.update()
                .where(operations.c.id.in_(ids), operations.c.status.in_(ACTIVE))
                .values(
                    status="interrupted",
                    finished_at=now,
                    error={"type": "interrupted", "title": "Operation interrupted", "detail": reason},
                )
            )
    return ids

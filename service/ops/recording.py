"""Recording an operation in history: the row is committed before the work, then heartbeats, then the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog

from service.core.errors import MaintenanceError
from service.core.operation_record import OperationRecord
from service.db import history
from service.db.engine import DATABASE_ERRORS
from service.ops.context import Resources

log = structlog.get_logger("service.operations")
OUTCOME_ERRORS: tuple[type[Exception], ...] = (MaintenanceError, *DATABASE_ERRORS)


def error_body(exc: BaseException) -> dict[str, Any]:
    """The JSON stored as an operation's error: our slug, title and text, never driver text."""
    if isinstance(exc, MaintenanceError):
        return {"type": exc.slug, "title": exc.title, "detail": exc.detail, **msgspec.to_builtins(exc.extra)}
    if isinstance(exc, asyncio.CancelledError):
        return {"type": "interrupted", "title": "Operation interrupted", "detail": "the operation was cancelled"}
    return {"type": "internal", "title": "Internal error", "detail": f"unexpected {type(exc).__name__}; see the service log"}


class Recorder:
    """Handle an operation's body uses to report revisions, steps, progress and its result."""

    def __init__(self, resources: Resources, operation_id: str) -> None:
        self.resources = resources
        self.id = operation_id
        self.from_revision: str | None = None
        self.to_revision: str | None = None
        self.steps: list[dict[str, Any]] = []
        self.progress: dict[str, Any] | None = None
        self.result: dict[str, Any] | None = None
        # Set (to a note) when the work committed although the block then failed or was stopped.
        self.committed: str | None = None
        # While true, skip history writes (a SQLite migration holds the database's write lock).
        self.paused = False
        # Set by the operation once its locks are held and its request accepted; a failure before that is a
        # refusal that did no work: answered to the caller, logged and counted, but not kept in history.
        self.accepted = False

    def accept(self, on_started: Callable[[str], None] | None) -> None:
        """The locks are held and the request accepted: from here a failure is history, and the caller hears of it."""
        self.accepted = True
        if on_started is not None:
            on_started(self.id)

    def snapshot(self) -> dict[str, Any]:
        return {
            "from_revision": self.from_revision,
            "to_revision": self.to_revision,
            "steps": list(self.steps) or None,
            "progress": self.progress,
        }

    async def flush(self) -> None:
        if self.paused:
            return
        with contextlib.suppress(*DATABASE_ERRORS):
            await history.update(self.resources.engine, self.id, heartbeat_at=history.utcnow(), **self.snapshot())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.resources.settings.heartbeat_interval)
            await self.flush()


@contextlib.asynccontextmanager
async def recorded(
    resources: Resources,
    *,
    kind: str,
    actor: str,
    resource: str,
    parameters: dict[str, Any],
    operation_id: str | None = None,
) -> AsyncIterator[Recorder]:
    """Run the block as operation ``operation_id`` (or a new one), recording start, heartbeats and outcome."""
    operation_id = await _mark_running(resources, kind, actor, resource, parameters, operation_id)
    resources.started.append(operation_id)
    recorder = Recorder(resources, operation_id)
    resources.live[operation_id] = recorder
    beat = asyncio.create_task(recorder._beat())
    started = time.perf_counter()
    structlog.contextvars.bind_contextvars(operation_id=operation_id)
    status, error = "succeeded", None
    try:
        yield recorder
    except BaseException as exc:
        status, error = _failure(resources, recorder, exc)
        raise
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        ended = Ended(kind, actor, resource, status, error, time.perf_counter() - started)
        if status == "failed" and not recorder.accepted:
            await _discard_refusal(resources, operation_id, ended)
        else:
            await _finish(resources, recorder, ended)
        resources.live.pop(operation_id, None)
        structlog.contextvars.unbind_contextvars("operation_id")


@dataclass(frozen=True)
class Ended:
    """How an operation ended: for its row, its metrics and its one canonical log line."""

    kind: str
    actor: str
    resource: str
    status: str
    error: dict[str, Any] | None
    duration: float


async def _mark_running(
    resources: Resources, kind: str, actor: str, resource: str, parameters: dict[str, Any], operation_id: str | None
) -> str:
    """Insert the operation as running, or mark the queued one running; returns its id."""
    engine = resources.engine
    if operation_id is None:
        stored, _ = await history.create(
            engine, kind=kind, actor=actor, resource=resource, parameters=parameters, holder=resources.holder, status="running"
        )
        return stored.record.id
    now = history.utcnow()
    await history.update(engine, operation_id, status="running", started_at=now, heartbeat_at=now, holder=resources.holder)
    return operation_id


def _failure(resources: Resources, recorder: Recorder, exc: BaseException) -> tuple[str, dict[str, Any] | None]:
    """The status and error an exception leaves in the row (a stop after the work committed is a success)."""
    status = "interrupted" if isinstance(exc, asyncio.CancelledError) else "failed"
    error = error_body(exc)
    if isinstance(exc, asyncio.CancelledError) and resources.stopping:
        error["detail"] = f"stopped by {resources.stopping} before it finished"
    if recorder.committed is not None:
        # The work had committed before the failure (a stop during COMMIT): record what the database says.
        recorder.result = {**(recorder.result or {}), "note": recorder.committed}
        return "succeeded", None
    return status, error


async def _finish(resources: Resources, recorder: Recorder, ended: Ended) -> None:
    """Record the outcome (shielded: a cancelled operation is still recorded), count it and log it."""
    recorder.paused = False
    outcome = {
        "status": ended.status,
        "error": ended.error,
        "result": recorder.result,
        "finished_at": history.utcnow(),
        "duration_seconds": round(ended.duration, 6),
        "heartbeat_at": history.utcnow(),
        **recorder.snapshot(),
    }
    await asyncio.shield(record_outcome(resources, recorder.id, outcome))
    if resources.metrics is not None:
        resources.metrics.operation_finished(ended.kind, ended.status, ended.duration)
    log.info(
        "operation finished",
        kind=ended.kind,
        actor=ended.actor,
        target=recorder.to_revision or ended.resource,
        outcome=ended.status,
        duration_seconds=round(ended.duration, 3),
        error_type=(ended.error or {}).get("type"),
        error_detail=(ended.error or {}).get("detail"),
        **({"counts": recorder.progress} if recorder.progress else {}),
    )


async def _discard_refusal(resources: Resources, operation_id: str, ended: Ended) -> None:
    # A refusal did no work: keeping it would let refused retries flood history and would replay the refusal
    # to a client retrying with the same Idempotency-Key after the conflict ended.
    with contextlib.suppress(MaintenanceError):
        await asyncio.shield(history.discard(resources.engine, operation_id))
    if resources.metrics is not None:
        resources.metrics.operation_finished(ended.kind, "refused", ended.duration)
    error = ended.error or {}
    log.info(
        "operation refused",
        kind=ended.kind,
        actor=ended.actor,
        target=ended.resource,
        outcome="refused",
        error_type=error.get("type"),
        error_detail=error.get("detail"),
    )


async def record_outcome(resources: Resources, operation_id: str, outcome: dict[str, Any]) -> bool:
    """Write an operation's outcome, retrying while the database is unreachable (bounded by
    ``resources.outcome_retry_seconds``); kept in ``resources.unrecorded`` for a later retry if that fails."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + resources.outcome_retry_seconds
    delay = 0.25
    while True:
        try:
            await history.update(resources.engine, operation_id, **outcome)
        except OUTCOME_ERRORS as exc:
            if loop.time() + delay > deadline:
                resources.unrecorded[operation_id] = outcome
                log.warning("operation outcome not recorded yet", operation_id=operation_id, error_type=type(exc).__name__)
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 4.0)
        else:
            resources.unrecorded.pop(operation_id, None)
            return True


async def flush_unrecorded(resources: Resources) -> None:
    """Retry writing the outcomes a database outage kept this process from recording."""
    for operation_id, outcome in list(resources.unrecorded.items()):
        try:
            await history.update(resources.engine, operation_id, **outcome)
        except OUTCOME_ERRORS:
            return
        resources.unrecorded.pop(operation_id, None)
        log.info("recorded an operation outcome after a database outage", operation_id=operation_id)


async def final_record(resources: Resources, operation_id: str) -> OperationRecord:
    """The operation's row as committed, once it ended."""
    return await history.get(resources.engine, operation_id)

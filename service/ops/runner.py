"""Running operations outside the request: queued row, own task, "started" hand-off, stale sweep, shutdown.

The request awaits (shielded) a future that the operation resolves once its locks are held, so a
refusal (422/409) reaches the client synchronously while the row records it as failed; the work
itself lives in a task the runner owns, so a cancelled request cancels nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import structlog

from service.core.errors import IdempotencyKeyReused, MaintenanceError
from service.core.operation_record import FINISHED, OperationRecord
from service.db import history
from service.db.engine import DATABASE_ERRORS
from service.ops.context import Resources
from service.ops.history_schema import ensure_history_schema
from service.ops.legacy.labels import labels_resource, legacy_labels
from service.ops.legacy.requests import LegacyLabelsRequest, LegacyWorkspacesRequest
from service.ops.legacy.workspaces import legacy_workspaces, workspaces_resource
from service.ops.migrate import migrate
from service.ops.migration_lock import MIGRATION_RESOURCE
from service.ops.recording import flush_unrecorded
from service.ops.recovery import recover
from service.ops.reindex import ReindexRequest, reindex, reindex_resource
from service.ops.reindex.repair import repair_interrupted_swaps
from service.ops.results import MigrateRequest

Started = Callable[[str], None]
Work = Callable[[str, Started], Awaitable[None]]

log = structlog.get_logger("service.runner")
POLL_SECONDS = 0.2
STARTUP_ACTOR = "startup:REINDEX_DATASETS"
# A sweep that meets these logs and waits for the next round (the database may be down for a while).
SWEEP_ERRORS: tuple[type[Exception], ...] = (MaintenanceError, *DATABASE_ERRORS)


class Launch(msgspec.Struct, frozen=True):
    """The operation a POST started (``created``) or joined through its idempotency key."""

    record: OperationRecord
    created: bool


def _consume(future: asyncio.Future[None]) -> None:
    # Nobody may be left awaiting (the request was cancelled): mark the outcome as retrieved.
    if not future.cancelled():
        future.exception()


class OperationRunner:
    """Owned by the app's lifespan: starts operations in their own tasks and interrupts the stale ones."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.tasks: dict[str, asyncio.Task[None]] = {}
        # One launch at a time per Idempotency-Key (see ``launch``).
        self._key_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._repairer: asyncio.Task[list[str]] | None = None

    async def start(self) -> None:
        """Sweep stale operations now and then periodically; a database that is down is retried later."""
        await self.sweep()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="operation-sweeper")
        # In the background: the engine may be slow or down, and the API serves without it.
        self._repairer = asyncio.create_task(repair_interrupted_swaps(self.resources), name="swap-repair")

    async def start_migrate(
        self, actor: str, request: MigrateRequest, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> Launch:
        """Record a queued migrate and run it; return once it holds its locks (or raise its refusal)."""

        async def work(operation_id: str, on_started: Started) -> None:
            await migrate(self.resources, actor, request, operation_id=operation_id, on_started=on_started)

        return await self.launch(
            "migrate", MIGRATION_RESOURCE, actor, request, work, idempotency_key=idempotency_key, fingerprint=fingerprint
        )

    async def start_reindex(
        self, actor: str, request: ReindexRequest, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> Launch:
        """Record a queued reindex and run it; return once it holds its locks (or raise its refusal)."""

        async def work(operation_id: str, on_started: Started) -> None:
            await reindex(self.resources, actor, request, operation_id=operation_id, on_started=on_started)

        return await self.launch(
            "reindex", reindex_resource(request), actor, request, work, idempotency_key=idempotency_key, fingerprint=fingerprint
        )

    async def start_legacy_labels(
        self, actor: str, request: LegacyLabelsRequest, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> Launch:
        """Record a queued legacy label fix and run it; return once it holds its locks (or raise its refusal)."""

        async def work(operation_id: str, on_started: Started) -> None:
            await legacy_labels(self.resources, actor, request, operation_id=operation_id, on_started=on_started)

        return await self.launch(
            "legacy-labels",
            labels_resource(request),
            actor,
            request,
            work,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )

    async def start_legacy_workspaces(
        self, actor: str, request: LegacyWorkspacesRequest, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> Launch:
        """Record a queued move of workspace-less datasets and run it (returns as ``start_legacy_labels`` does)."""

        async def work(operation_id: str, on_started: Started) -> None:
            await legacy_workspaces(self.resources, actor, request, operation_id=operation_id, on_started=on_started)

        return await self.launch(
            "legacy-workspaces",
            workspaces_resource(request),
            actor,
            request,
            work,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )

    async def reindex_on_start(self) -> Launch | None:
        """``REINDEX_DATASETS=true|1``: reindex every published dataset once the service is up, as an operation.

        Argilla's images block start-up on it; here the service answers meanwhile and the operation shows
        the progress. A refusal (no search engine, schema below 2.0, ...) is logged, never fatal.
        """
        if not self.resources.settings.reindex_datasets:
            return None
        try:
            return await self.start_reindex(STARTUP_ACTOR, ReindexRequest())
        except MaintenanceError as exc:
            log.warning("start-up reindex not started", error_type=exc.slug, detail=exc.detail)
            return None

    async def launch(
        self,
        kind: str,
        resource: str,
        actor: str,
        request: msgspec.Struct,
        work: Work,
        *,
        idempotency_key: str | None,
        fingerprint: str | None,
    ) -> Launch:
        """Record a queued operation (or join the one with this idempotency key), run ``work`` in a task of
        ours, and return once it reports its locks held (or raise the refusal it met before that).

        Requests with the same key are decided one at a time in this process: a refused attempt leaves no
        row, so the next one with that key is a new attempt instead of joining a row about to vanish.
        """
        await ensure_history_schema(self.resources)
        if idempotency_key is None:
            return await self._launch(kind, resource, actor, request, work, None, fingerprint)
        lock, users = self._key_locks.get(idempotency_key, (asyncio.Lock(), 0))
        self._key_locks[idempotency_key] = (lock, users + 1)
        try:
            async with lock:
                return await self._launch(kind, resource, actor, request, work, idempotency_key, fingerprint)
        finally:
            lock, users = self._key_locks[idempotency_key]
            if users <= 1:
                del self._key_locks[idempotency_key]
            else:
                self._key_locks[idempotency_key] = (lock, users - 1)

    async def _launch(
        self,
        kind: str,
        resource: str,
        actor: str,
        request: msgspec.Struct,
        work: Work,
        idempotency_key: str | None,
        fingerprint: str | None,
    ) -> Launch:
        engine = self.resources.engine
        stored, created = await history.create(
            engine,
            kind=kind,
            actor=actor,
            resource=resource,
            parameters=msgspec.to_builtins(request),
            holder=self.resources.holder,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )
        if not created:
            if stored.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used with a different request; use a new key for a new request",
                    operation_id=stored.record.id,
                )
            return Launch(stored.record, created=False)
        await self._start_task(kind, stored.record.id, work)
        return Launch(await history.get(engine, stored.record.id), created=True)

    async def _start_task(self, kind: str, operation_id: str, work: Work) -> None:
        """Run ``work`` in a task of ours; return once it holds its locks (shielded: the task outlives us)."""
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        started.add_done_callback(_consume)
        task = asyncio.create_task(self._run(operation_id, work, started), name=f"{kind}-{operation_id}")
        self.tasks[operation_id] = task
        task.add_done_callback(lambda _task: self.tasks.pop(operation_id, None))
        await asyncio.shield(started)

    async def _run(self, operation_id: str, work: Work, started: asyncio.Future[None]) -> None:
        def on_started(_id: str) -> None:
            if not started.done():
                started.set_result(None)

        try:
            await work(operation_id, on_started)
        except asyncio.CancelledError:
            started.cancel()
            raise
        except Exception as exc:
            if not started.done():
                started.set_exception(exc)
            elif not isinstance(exc, MaintenanceError):
                log.error("operation crashed", operation_id=operation_id, error_type=type(exc).__name__, exc_info=exc)
        finally:
            on_started(operation_id)

    async def wait(self, operation_id: str, seconds: float) -> OperationRecord:
        """The operation once it finished, or as it is after ``seconds``; never cancels it."""
        task = self.tasks.get(operation_id)
        if task is not None:
            await asyncio.wait({task}, timeout=seconds)
        else:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            while (await history.get(self.resources.engine, operation_id)).status not in FINISHED:
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(min(POLL_SECONDS, max(deadline - loop.time(), 0)))
        return await history.get(self.resources.engine, operation_id)

    async def sweep(self) -> list[str]:
        """Settle the operations of processes that are gone (see ops.recovery); a database that is down is retried later."""
        try:
            await ensure_history_schema(self.resources)
        except SWEEP_ERRORS as exc:
            log.warning("stale operation sweep failed", error_type=type(exc).__name__)
            return []
        await flush_unrecorded(self.resources)
        return await recover(self.resources, exclude=tuple(self.tasks))

    async def _sweep_forever(self) -> None:
        interval = min(max(self.resources.settings.stale_after / 2, 1.0), 30.0)
        while True:
            await asyncio.sleep(interval)
            await self.sweep()

    async def close(self) -> None:
        """Give running operations ``shutdown_grace`` seconds, then cancel them and mark them interrupted."""
        for background in (self._sweeper, self._repairer):
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
        pending: set[asyncio.Task[Any]] = set(self.tasks.values())
        if pending:
            _done, pending = await asyncio.wait(pending, timeout=self.resources.settings.shutdown_grace)
        self.resources.stopping = "the service shutting down (its shutdown grace ran out)"
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self.resources.history_ready:
            with contextlib.suppress(*DATABASE_ERRORS):
                await history.interrupt(
                    self.resources.engine,
                    holder=self.resources.holder,
                    reason="the service shut down before the operation finished",
                )

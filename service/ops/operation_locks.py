"""Holding a named lock for an operation; a busy lock is refused as the conflict that names its holder."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from service.core.errors import OperationConflict
from service.db import locks
from service.ops.context import Resources
from service.ops.migration_lock import MIGRATION_LOCK, conflict
from service.ops.recording import Recorder

# Builds the refusal for a busy lock other than the migration lock: (resources, own operation id, lock name).
BusyLock = Callable[[Resources, str, str], Awaitable[OperationConflict]]


async def _generic_conflict(_resources: Resources, _own_id: str, name: str) -> OperationConflict:
    return OperationConflict(f"another operation holds {name}; wait for it or pass a lock timeout")


@contextlib.asynccontextmanager
async def operation_lock(
    resources: Resources,
    recorder: Recorder,
    name: str,
    timeout: float,
    *,
    shared: bool,
    busy: BusyLock = _generic_conflict,
) -> AsyncIterator[None]:
    """Hold ``name`` for the operation (shared or exclusive, waiting up to ``timeout``), renewed while held.

    The migration lock's refusal names the operation holding the database; any other lock's comes from ``busy``.
    """
    try:
        async with locks.hold(
            resources.engine,
            name,
            holder=resources.holder,
            operation_id=recorder.id,
            timeout=timeout,
            ttl=resources.settings.lock_ttl,
            shared=shared,
        ):
            yield
    except locks.LockUnavailable:
        if name == MIGRATION_LOCK:
            raise await conflict(resources, recorder.id) from None
        raise await busy(resources, recorder.id, name) from None

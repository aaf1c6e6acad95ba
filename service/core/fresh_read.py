"""Sharing one read among concurrent callers without ever answering from a read older than the call.

A value that can change at any moment (the database's current revision) cannot be cached; but callers that
arrive together can share a read, as long as that read *starts* after each of them arrived. Each caller
joins the next read to start (never one already under way), so whatever the number of callers at most one
read runs and one more waits, and every answer is as fresh as a read of the caller's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class FreshRead(Generic[T]):
    """``await fresh()``: the result (or error) of a ``read()`` that started after this call."""

    def __init__(self, read: Callable[[], Awaitable[T]]) -> None:
        self._read = read
        self._running: asyncio.Task[T] | None = None
        self._next: asyncio.Task[T] | None = None

    async def __call__(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_task(self._start_after(self._running))
        # A caller that goes away (a closed request) leaves the shared read to the others.
        return await asyncio.shield(self._next)

    async def _start_after(self, previous: asyncio.Task[T] | None) -> T:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        # From here on this read is under way: later callers wait for the one after it.
        self._running, self._next = self._next, None
        return await self._read()

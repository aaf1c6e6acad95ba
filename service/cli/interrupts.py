"""Running a CLI command's coroutine so SIGTERM (what deleting a Kubernetes Job sends) and Ctrl-C stop it cleanly.

The first signal cancels the command: an open migration transaction rolls back, the operation is
recorded ``interrupted``, and ``Interrupted`` carries one line saying what happened to the database.
A second signal while that cleanup runs exits at once (the database's own transaction rollback
still keeps it consistent).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

from service.cli import exit_codes
from service.core.config import Settings
from service.ops.context import Resources
from service.ops.recovery import describe_stop, recover
from service.runtime import open_resources

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """The command was stopped by a signal; ``line`` says what happened to the database."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


async def run_interruptible(settings: Settings, work: Callable[[Resources], Awaitable[T]]) -> T:
    """Open the resources, settle operations of dead processes, await ``work``; on SIGINT/SIGTERM cancel it and
    raise ``Interrupted`` once it has cleaned up."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    caught: list[str] = []
    opened: list[Resources] = []

    def stop(name: str) -> None:
        if caught:
            os._exit(exit_codes.INTERRUPTED)
        caught.append(name)
        for resources in opened:
            resources.stopping = name
        task.cancel()

    installed = []
    for sig in SIGNALS:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(sig, stop, sig.name)
            installed.append(sig)
    try:
        async with open_resources(settings) as resources:
            opened.append(resources)
            try:
                await recover(resources)
                return await work(resources)
            except asyncio.CancelledError:
                if not caught:
                    raise
                task.uncancel()
                raise Interrupted(f"Interrupted by {caught[0]}: {await describe_stop(resources)}") from None
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)

"""What every operation is given: the resources the runtime opened (engine, chain, locks, identity)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from service.core import holders
from service.core.config import Settings
from service.db.engine import Engine
from service.db.revisions import Chain


def process_identity() -> str:
    """Who holds a lock or runs an operation: host, pid, process start time, pid namespace and a nonce."""
    return str(holders.current())


@dataclass
class Resources:
    """Opened once per process (by the app's lifespan or a CLI command) and passed to operations."""

    settings: Settings
    engine: Engine
    chain: Chain
    holder: str = field(default_factory=process_identity)
    # Alembic keeps module-level state: one Alembic command at a time in this process.
    alembic_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    search: Any = None
    metrics: Any = None
    history_ready: bool = False
    # Ids of the operations this process started, oldest first (what a stopped CLI reports on).
    started: list[str] = field(default_factory=list)
    # What is stopping this process ("SIGTERM", "the service shutting down"), recorded on cancelled operations.
    stopping: str | None = None
    # Outcomes a database outage kept from being written, retried by the runner; and how long to retry at once.
    unrecorded: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcome_retry_seconds: float = 10.0
    # ops.revisions.RevisionCatalog, built on first use: the chain's answer never changes while the process runs.
    # (Typed Any: Litestar resolves this class's hints at run time, and ops.revisions imports this module.)
    revision_catalog: Any = None
    # Recorders of the operations running in this process, by id: their live progress, which a SQLite
    # migration cannot write to history while it holds the database's write lock.
    live: dict[str, Any] = field(default_factory=dict)

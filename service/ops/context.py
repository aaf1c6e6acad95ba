"""What every operation is given: the resources the runtime opened (engine, chain, locks, identity)."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any

from service.core.config import Settings
from service.db.engine import Engine
from service.db.revisions import Chain


def process_identity() -> str:
    """Who holds a lock or runs an operation: host, pid and a per-start nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


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

"""Opening and closing the process's resources: one place for engine, Alembic chain and search client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from service.core.config import Settings
from service.db.engine import create_engine
from service.db.revisions import Chain
from service.ops.context import Resources


@contextlib.asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Resources for one process lifetime (an app's lifespan or one CLI command); closed on exit."""
    engine = create_engine(settings)
    try:
        yield Resources(settings=settings, engine=engine, chain=Chain.load())
    finally:
        await engine.dispose()

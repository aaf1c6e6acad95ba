"""Opening and closing the process's resources: one place for engine, Alembic chain and search client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from service.core.config import Settings
from service.db.engine import create_engine
from service.db.revisions import Chain
from service.ops.context import Resources
from service.search.connect import open_search_engine


@contextlib.asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Resources for one process lifetime (an app's lifespan or one CLI command); closed on exit."""
    engine = create_engine(settings)
    search = open_search_engine(settings.search) if settings.search.url else None
    try:
        yield Resources(settings=settings, engine=engine, chain=Chain.load(), search=search)
    finally:
        try:
            if search is not None:
                await search.close()
        finally:
            await engine.dispose()

"""Argilla's workspaces (rows in SQL since 1.6): does the target of a legacy move exist?"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.argilla_tables import workspaces
from service.db.errors import translated


@translated
async def has_workspaces_table(engine: AsyncEngine) -> bool:
    """False on a database without Argilla's schema, or one older than 1.6."""
    async with engine.connect() as conn:
        return bool(await conn.run_sync(lambda sync: sa.inspect(sync).has_table("workspaces")))


@translated
async def workspace_exists(engine: AsyncEngine, name: str) -> bool:
    async with engine.connect() as conn:
        found = await conn.execute(sa.select(workspaces.c.id).where(workspaces.c.name == name).limit(1))
        return found.first() is not None

"""Operation: readiness checks (the database now; the search engine once it is wired in)."""

from __future__ import annotations

import sqlalchemy as sa

from service.db.engine import translate_errors
from service.ops.context import Resources


async def check_database(resources: Resources) -> None:
    """Run ``SELECT 1``; raise ``DatabaseUnavailable`` (URL masked) when the database cannot be reached."""
    with translate_errors(resources.settings.database_url):
        async with resources.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

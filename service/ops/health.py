"""Operation: readiness of the database (the search engine's check is ops.reindex's ``check_search_engine``)."""

from __future__ import annotations

from service.db.engine import ping, translate_errors
from service.ops.context import Resources


async def check_database(resources: Resources) -> None:
    """One round trip; raise ``DatabaseUnavailable`` (URL masked) when the database cannot be reached."""
    with translate_errors(resources.settings.database_url):
        await ping(resources.engine)

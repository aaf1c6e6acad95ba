"""Operation: readiness. The database decides it (the API cannot serve without it); the search engine is reported.

Both checks run at once and each has a deadline, so readiness answers within ``READY_SECONDS``
whatever a dependency does (a hung node that accepts connections and never answers included).
"""

from __future__ import annotations

import asyncio

from service.core.errors import DatabaseUnavailable, MaintenanceError, SearchEngineUnavailable
from service.db.engine import ping
from service.db.urls import masked
from service.ops.context import Resources

READY_SECONDS = 1.5


async def check_database(resources: Resources, timeout: float = READY_SECONDS) -> None:
    """One round trip within ``timeout``; raise ``DatabaseUnavailable`` (URL masked) otherwise."""
    try:
        async with asyncio.timeout(timeout):
            await ping(resources.engine)
    except TimeoutError:
        raise DatabaseUnavailable(
            f"the database at {masked(resources.settings.database_url)} did not answer within {timeout:g} s",
            reason="timeout",
        ) from None


async def search_state(resources: Resources, timeout: float = READY_SECONDS) -> tuple[str, SearchEngineUnavailable | None]:
    """("ok" | "not configured" | "unavailable", the error when unavailable), from a cluster-health call within ``timeout``."""
    if resources.search is None:
        return "not configured", None
    try:
        await resources.search.health(timeout=timeout)
    except SearchEngineUnavailable as exc:
        return "unavailable", exc
    except MaintenanceError as exc:
        return "unavailable", SearchEngineUnavailable(exc.detail)
    return "ok", None


async def readiness(resources: Resources) -> tuple[dict[str, str], SearchEngineUnavailable | None]:
    """Check both at once: the database raises, the search engine is reported (with its error, if any)."""
    database, search = await asyncio.gather(check_database(resources), search_state(resources), return_exceptions=True)
    if isinstance(database, BaseException):
        raise database
    assert not isinstance(search, BaseException)
    state, error = search
    return {"database": "ok", "search_engine": state}, error

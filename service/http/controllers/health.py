"""GET /livez, /readyz (no auth, no secrets) and /metrics (Prometheus text)."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency

from service.core.metrics import Metrics
from service.ops.context import Resources
from service.ops.health import check_database
from service.ops.reindex import check_search_engine


class Health(msgspec.Struct, frozen=True):
    """``ok`` and, for readiness, what was checked."""

    status: str
    checks: dict[str, str] = {}


@get("/livez", operation_id="livez", summary="The process is alive", tags=["health"], opt={"public": True})
async def livez() -> Health:
    """Answers as long as the event loop does; checks nothing else."""
    return Health("ok")


@get("/readyz", operation_id="readyz", summary="The database is reachable", tags=["health"], opt={"public": True})
async def readyz(resources: NamedDependency[Resources]) -> Health:
    """503 problem (database-unavailable, search-engine-unavailable) when a dependency cannot be reached."""
    await check_database(resources)
    return Health("ok", {"database": "ok", "search_engine": await check_search_engine(resources)})


@get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics",
    tags=["health"],
    opt={"metrics": True},
    media_type=Metrics.CONTENT_TYPE,
)
async def metrics(metrics: NamedDependency[Metrics]) -> Response[str]:
    """Operations by kind and outcome, their durations, HTTP requests and lock waits."""
    return Response(metrics.render(), media_type=Metrics.CONTENT_TYPE)

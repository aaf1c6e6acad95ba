"""GET /livez, /readyz (no auth, no secrets) and /metrics (Prometheus text)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from service.core.errors import InvalidRequest
from service.core.metrics import Metrics
from service.ops.context import Resources
from service.ops.health import readiness


class Health(msgspec.Struct, frozen=True):
    """``ok``, the service's version (a deploy hook waits for its own) and, for readiness, what was checked."""

    status: str
    version: str
    checks: dict[str, str] = {}


@get("/livez", operation_id="livez", summary="The process is alive", tags=["health"], opt={"public": True})
async def livez(state: State) -> Health:
    """Answers as long as the event loop does; checks nothing else."""
    return Health("ok", state["version"])


@get(
    "/readyz",
    operation_id="readyz",
    summary="The API can serve: the database is reachable",
    tags=["health"],
    opt={"public": True},
)
async def readyz(
    resources: NamedDependency[Resources],
    state: State,
    check: Annotated[
        str | None, QueryParameter(description="`search`: also require the search engine (503 when it is down).", max_length=16)
    ] = None,
) -> Health:
    """Ready when the database answers (503 database-unavailable otherwise), within ~2 s; the search engine's
    state is in ``checks`` without deciding readiness, except with ``?check=search`` (503 search-engine-unavailable)."""
    if check not in (None, "search"):
        raise InvalidRequest(f"unknown check {check!r}; accepted: search")
    checks, search_error = await readiness(resources)
    if check == "search" and search_error is not None:
        raise search_error
    return Health("ok", state["version"], checks)


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

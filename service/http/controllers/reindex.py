"""POST /reindex and /reindex/{dataset_id}: rebuild search indices as an operation (202 + Location, or Prefer: wait)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from service.core.config import Settings
from service.core.operation_record import OperationRecord
from service.http.accepted import operation_response
from service.http.bodies import fingerprint, idempotency_key
from service.http.guard import actor_of
from service.ops.reindex import ReindexRequest
from service.ops.runner import OperationRunner


async def _launch(
    request: Request[Any, Any, Any], runner: OperationRunner, settings: Settings, body: ReindexRequest, path: str
) -> Response[OperationRecord]:
    key = idempotency_key(request)
    launch = await runner.start_reindex(
        actor_of(request), body, idempotency_key=key, fingerprint=fingerprint("POST", path, body) if key else None
    )
    return await operation_response(request, runner, launch, settings)


@post(
    "/reindex",
    operation_id="reindexAll",
    summary="Rebuild the search index of every published dataset",
    status_code=202,
    tags=["search"],
)
async def reindex_all(
    request: Request[Any, Any, Any], runner: NamedDependency[OperationRunner], settings: NamedDependency[Settings]
) -> Response[OperationRecord]:
    """Drafts are skipped and reported; a refusal (old schema, engine down, conflict) answers at once."""
    return await _launch(request, runner, settings, ReindexRequest(), "/reindex")


@post(
    "/reindex/{dataset_id:str}",
    operation_id="reindexDataset",
    summary="Rebuild one dataset's search index",
    status_code=202,
    tags=["search"],
)
async def reindex_dataset(
    request: Request[Any, Any, Any],
    dataset_id: FromPath[str],
    runner: NamedDependency[OperationRunner],
    settings: NamedDependency[Settings],
) -> Response[OperationRecord]:
    """404 problem (dataset-not-found) for an unknown dataset; searches keep answering during the rebuild."""
    return await _launch(request, runner, settings, ReindexRequest(dataset_id=dataset_id), f"/reindex/{dataset_id}")

"""GET /revisions: release tags, the chain, heads and the database's current revision."""

from __future__ import annotations

from typing import cast

from litestar import MediaType, Response, get
from litestar.di import NamedDependency

from service.ops.context import Resources
from service.ops.results import RevisionsResult
from service.ops.revisions import revisions_json


@get("/revisions", operation_id="listRevisions", summary="Release tags, revision chain and current revision", tags=["database"])
async def revisions(resources: NamedDependency[Resources]) -> Response[RevisionsResult]:
    """Same result as ``argilla-maint database revisions --json``; the body is the process's memoised JSON."""
    # Litestar sends bytes content as they are; the annotation is what the OpenAPI document describes.
    return Response(cast(RevisionsResult, await revisions_json(resources)), media_type=MediaType.JSON)

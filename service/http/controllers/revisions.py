"""GET /revisions: release tags, the chain, heads and the database's current revision."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from service.ops.context import Resources
from service.ops.results import RevisionsResult
from service.ops.revisions import list_revisions


@get("/revisions", operation_id="listRevisions", summary="Release tags, revision chain and current revision", tags=["database"])
async def revisions(resources: NamedDependency[Resources]) -> RevisionsResult:
    """Same result as ``argilla-maint database revisions --json``."""
    return await list_revisions(resources)

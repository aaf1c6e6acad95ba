"""GET /operations and GET /operations/{operation_id}: the operation history."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from service.core.operation_record import STATUSES, OperationRecord
from service.ops.context import Resources
from service.ops.operations import MAX_LIMIT, get_operation, list_operations
from service.ops.results import OperationPage

MAX_OFFSET = 2**31 - 1  # a SQL integer; larger offsets would overflow the database's OFFSET


@get("/operations", operation_id="listOperations", summary="Operations, newest first", tags=["operations"])
async def operations(
    resources: NamedDependency[Resources],
    kind: Annotated[str | None, QueryParameter(description="Only this kind (migrate, reindex, ...).", max_length=32)] = None,
    status: Annotated[
        str | None,
        QueryParameter(
            description="Only this status; anything else is a 400 listing them.", schema_extra={"enum": list(STATUSES)}
        ),
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> OperationPage:
    """A page of the history with the total matching count."""
    return await list_operations(resources, kind=kind, status=status, limit=limit, offset=offset)


@get("/operations/{operation_id:str}", operation_id="getOperation", summary="One operation", tags=["operations"])
async def operation(resources: NamedDependency[Resources], operation_id: FromPath[str]) -> OperationRecord:
    """Status, steps, result or error of one operation."""
    return await get_operation(resources, operation_id)

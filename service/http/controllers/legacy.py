"""GET /legacy, POST /legacy/labels and /legacy/workspaces: Argilla 1.x datasets, as operations (202 + Location)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency

from service.core.config import Settings
from service.core.operation_record import OperationRecord
from service.http.accepted import operation_response
from service.http.bodies import decode_json_body, fingerprint, idempotency_key
from service.http.guard import actor_of
from service.ops.context import Resources
from service.ops.legacy.requests import LegacyLabelsRequest, LegacyStatus, LegacyWorkspacesRequest
from service.ops.legacy.status import legacy_status
from service.ops.runner import OperationRunner


@get("/legacy", operation_id="legacyStatus", summary="What Argilla 1.x (legacy) data there is", tags=["legacy"])
async def legacy(resources: NamedDependency[Resources]) -> LegacyStatus:
    """Datasets per task, with the old UI's label key, without a label schema, without a workspace."""
    return await legacy_status(resources)


@post(
    "/legacy/labels",
    operation_id="legacyLabels",
    summary="Give legacy datasets the label schema their records and the old UI need",
    status_code=202,
    tags=["legacy"],
)
async def legacy_labels(
    request: Request[Any, Any, Any], runner: NamedDependency[OperationRunner], settings: NamedDependency[Settings]
) -> Response[OperationRecord]:
    """The result lists, per dataset, the schema before and after and the labels added (a dry run writes nothing)."""
    body = await decode_json_body(request, LegacyLabelsRequest, settings.max_body_bytes)
    key = idempotency_key(request)
    launch = await runner.start_legacy_labels(
        actor_of(request), body, idempotency_key=key, fingerprint=fingerprint("POST", "/legacy/labels", body) if key else None
    )
    return await operation_response(request, runner, launch, settings)


@post(
    "/legacy/workspaces",
    operation_id="legacyWorkspaces",
    summary="Move datasets without a workspace (pre-1.4) into a workspace",
    status_code=202,
    tags=["legacy"],
)
async def legacy_workspaces(
    request: Request[Any, Any, Any], runner: NamedDependency[OperationRunner], settings: NamedDependency[Settings]
) -> Response[OperationRecord]:
    """A taken name (409) or a workspace missing from SQL (422) is refused before anything changes."""
    body = await decode_json_body(request, LegacyWorkspacesRequest, settings.max_body_bytes)
    key = idempotency_key(request)
    launch = await runner.start_legacy_workspaces(
        actor_of(request), body, idempotency_key=key, fingerprint=fingerprint("POST", "/legacy/workspaces", body) if key else None
    )
    return await operation_response(request, runner, launch, settings)

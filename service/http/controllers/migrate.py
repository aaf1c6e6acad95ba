"""POST /migrate: start a migration (or dry run) as an operation; 202 with its URL, or 200 after Prefer: wait."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from service.core.config import Settings
from service.core.operation_record import OperationRecord
from service.http.accepted import operation_response
from service.http.bodies import decode_json_body, fingerprint, idempotency_key
from service.http.guard import actor_of
from service.ops.results import MigrateRequest
from service.ops.runner import OperationRunner


@post(
    "/migrate",
    operation_id="migrate",
    summary="Migrate the database to a revision or release tag",
    status_code=202,
    tags=["database"],
)
async def start_migrate(
    request: Request[Any, Any, Any], runner: NamedDependency[OperationRunner], settings: NamedDependency[Settings]
) -> Response[OperationRecord]:
    """Runs outside the request; a refusal (unknown revision, downgrade, conflict) answers at once."""
    body = await decode_json_body(request, MigrateRequest, settings.max_body_bytes)
    key = idempotency_key(request)
    launch = await runner.start_migrate(
        actor_of(request), body, idempotency_key=key, fingerprint=fingerprint("POST", "/migrate", body) if key else None
    )
    return await operation_response(request, runner, launch, settings)

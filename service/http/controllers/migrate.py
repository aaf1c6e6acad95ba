"""POST /migrate: start a migration (or dry run) as an operation; 202 with its URL, or 200 after Prefer: wait."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from service.core.config import Settings
from service.db.history import FINISHED, OperationRecord
from service.http.bodies import decode_json_body, fingerprint, idempotency_key
from service.http.guard import actor_of
from service.http.prefer import applied, requested_wait
from service.ops.results import MigrateRequest
from service.ops.runner import OperationRunner


@post("/migrate", operation_id="migrate", summary="Migrate the database to a revision or release tag",
      status_code=202, tags=["database"])
async def start_migrate(
    request: Request[Any, Any, Any], runner: NamedDependency[OperationRunner], settings: NamedDependency[Settings]
) -> Response[OperationRecord]:
    """Runs outside the request; a refusal (unknown revision, downgrade, conflict) answers at once."""
    body = await decode_json_body(request, MigrateRequest, settings.max_body_bytes)
    key = idempotency_key(request)
    launch = await runner.start_migrate(actor_of(request), body, idempotency_key=key,
                                        fingerprint=fingerprint("POST", "/migrate", body) if key else None)
    record, headers = launch.record, {"Location": f"/operations/{launch.record.id}"}
    wait = requested_wait(request.headers.get("prefer"), settings.max_wait)
    if wait is not None:
        record = await runner.wait(record.id, wait)
        headers["Preference-Applied"] = applied(wait)
    status = 200 if wait is not None and record.status in FINISHED else 202
    return Response(record, status_code=status, headers=headers)

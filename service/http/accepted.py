"""The answer to a POST that started (or joined) an operation: 202 + Location, or 200 once it has ended."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from service.core.config import Settings
from service.core.operation_record import FINISHED, OperationRecord
from service.http.prefer import applied, requested_wait
from service.ops.runner import Launch, OperationRunner


async def operation_response(
    request: Request[Any, Any, Any], runner: OperationRunner, launch: Launch, settings: Settings
) -> Response[OperationRecord]:
    """202 with ``Location: /operations/{id}``; with ``Prefer: wait=N`` (capped), 200 if it finished by then."""
    record, headers = launch.record, {"Location": f"/operations/{launch.record.id}"}
    wait = requested_wait(request.headers.get("prefer"), settings.max_wait)
    if wait is not None:
        record = await runner.wait(record.id, wait)
        headers["Preference-Applied"] = applied(wait)
    # A replay (same Idempotency-Key) of an operation that already ended answers like a finished wait.
    status = 200 if record.status in FINISHED and (wait is not None or not launch.created) else 202
    return Response(record, status_code=status, headers=headers)

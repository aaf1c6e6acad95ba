"""RFC 9457 problem details: every 4xx/5xx body, with a stable ``type`` URI per failure."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from service.core.errors import Forbidden, InvalidRequest, MaintenanceError, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from service.core.secrets import mask_text

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:argilla-maintenance:problem:"
# Litestar's own HTTP errors (routing, parameter validation) get stable slugs too: ours where one fits.
_HTTP_SLUGS: dict[int, tuple[str, str]] = {
    **{
        cls.status: (cls.slug, cls.title)
        for cls in (InvalidRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType)
    },
    404: ("route-not-found", "No such route"),
    405: ("method-not-allowed", "Method not allowed on this route"),
}
log = structlog.get_logger("service.http")


def problem_type(slug: str) -> str:
    return f"{TYPE_PREFIX}{slug}"


def problem_response(
    request: Request[Any, Any, Any] | None,
    status: int,
    slug: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    body: dict[str, Any] = msgspec.to_builtins(extra or {})
    body.update(type=problem_type(slug), title=title, status=status, detail=detail)
    if request is not None:
        # Last line of defence: no configured password reaches a problem body, whatever an error carried.
        settings = request.app.state.get("settings")
        body = _masked(body, settings.secrets if settings is not None else ())
    if request is not None:
        body["instance"] = request.url.path
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", 'Bearer realm="argilla-maintenance"')
    return Response(msgspec.json.encode(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=all_headers)


def _masked(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    return value


def on_maintenance_error(request: Request[Any, Any, Any], exc: MaintenanceError) -> Response[bytes]:
    """Domain errors: status, slug and title from the class, ``extra`` members in the body."""
    if exc.status >= 500:
        log.error("request failed", error_type=exc.slug, detail=exc.detail)
    return problem_response(request, exc.status, exc.slug, exc.title, exc.detail, exc.extra)


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Litestar's routing and parameter errors, with detail text we write (never echoing the input)."""
    status = exc.status_code
    slug, title = _HTTP_SLUGS.get(status, ("http-error", "HTTP error"))
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException):
        items = [item for item in (exc.extra or []) if isinstance(item, dict) and item.get("key")]
        keys = sorted({str(item["key"]) for item in items})
        # The decoder's constraint text ("Expected `int` <= 500") says what is accepted without echoing the input.
        accepted = sorted(
            {f"{item['key']}: {item['message']}" for item in items if str(item.get("message", "")).startswith("Expected")}
        )
        detail = f"invalid parameter(s): {', '.join(keys)}" if keys else "the request is not valid"
        if accepted:
            detail += f" ({'; '.join(accepted)})"
        extra["invalid_parameters"] = keys
    elif status == 404:
        detail = f"no route {request.url.path}; see the API description (openapi.json)"
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    elif status >= 500:
        log.error("request failed", error_type="http-error", status=status)
        detail = "unexpected error; see the service log"
    else:
        detail = title
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in {"allow", "retry-after"}}
    return problem_response(request, status, slug, title, detail, extra, headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Anything else is a 500 that says nothing about internals; the traceback goes to the log."""
    log.error("unhandled error", error_type=type(exc).__name__, exc_info=exc)
    return problem_response(request, 500, "internal", "Internal error", "unexpected error; see the service log")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    MaintenanceError: on_maintenance_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}

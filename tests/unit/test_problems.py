"""Problem mapping: domain errors and Litestar's HTTP errors become RFC 9457 bodies with stable slugs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar, Request
from litestar.exceptions import MethodNotAllowedException, NotFoundException, ValidationException

from service.core import errors
from service.core.config import load_settings
from service.http.problems import PROBLEM_MEDIA_TYPE, TYPE_PREFIX, on_http_exception, on_maintenance_error, on_unexpected
from tests.support.error_tree import error_classes

pytestmark = pytest.mark.unit
DB_PASSWORD = "pg-pass-7f3a9c"


def _request(path: str = "/migrate", method: str = "POST") -> Request[Any, Any, Any]:
    app = Litestar(route_handlers=[])
    app.state.settings = load_settings({"ARGILLA_DATABASE_URL": f"postgresql://argilla:{DB_PASSWORD}@db/argilla"})
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("test", 80),
        "root_path": "",
        "litestar_app": app,
    }
    return Request(scope)  # type: ignore[arg-type]


def _body(response: Any) -> dict[str, Any]:
    assert response.media_type == PROBLEM_MEDIA_TYPE
    return dict(json.loads(response.content))


def test_every_error_class_has_its_own_slug_a_title_and_an_error_status() -> None:
    """Two classes sharing a slug, or a class without a 4xx/5xx status, would make problems ambiguous."""
    classes = error_classes()
    slugs = [cls.slug for cls in classes]
    assert len(slugs) == len(set(slugs)), slugs
    assert all(400 <= cls.status < 600 and cls.title for cls in classes)


def test_a_domain_error_keeps_its_class_status_slug_title_and_extra_members() -> None:
    """The problem body carries what the class declares and what the raise site added, plus the instance path."""
    exc = errors.OperationConflict("another migration runs", operation_id="op-1", operation_url="/operations/op-1")
    response = on_maintenance_error(_request(), exc)
    assert response.status_code == 409
    assert _body(response) == {
        "type": f"{TYPE_PREFIX}operation-conflict",
        "title": "Another operation is running",
        "status": 409,
        "detail": "another migration runs",
        "instance": "/migrate",
        "operation_id": "op-1",
        "operation_url": "/operations/op-1",
    }


def test_configured_secrets_never_reach_a_problem_body() -> None:
    """Even an error whose text or members carry the database password is masked before it is sent."""
    exc = errors.DatabaseUnavailable(f"cannot reach {DB_PASSWORD}", reason=[f"x {DB_PASSWORD}"])
    body = _body(on_maintenance_error(_request(), exc))
    assert DB_PASSWORD not in json.dumps(body) and body["status"] == 503


def test_unauthorized_problems_carry_the_bearer_challenge() -> None:
    """A 401 without WWW-Authenticate breaks clients that wait for the challenge."""
    response = on_maintenance_error(_request(), errors.Unauthorized("missing token"))
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_litestar_routing_and_validation_errors_get_stable_slugs_without_echoing_input() -> None:
    """404/405/400 from the framework are problems too, with our text, never the raw input."""
    not_found = _body(on_http_exception(_request("/nope", "GET"), NotFoundException()))
    assert not_found["type"] == f"{TYPE_PREFIX}route-not-found" and "/nope" in not_found["detail"]
    not_allowed = on_http_exception(_request("/livez", "DELETE"), MethodNotAllowedException(headers={"Allow": "GET"}))
    assert _body(not_allowed)["type"] == f"{TYPE_PREFIX}method-not-allowed" and not_allowed.headers["Allow"] == "GET"
    invalid = _body(on_http_exception(_request(), ValidationException(extra=[{"key": "limit", "message": "<script>"}])))
    assert invalid["invalid_parameters"] == ["limit"] and "<script>" not in json.dumps(invalid)


def test_an_unexpected_exception_is_a_bare_500() -> None:
    """Internals (class names, messages) never leave the service in a 500."""
    body = _body(on_unexpected(_request(), RuntimeError(f"boom {DB_PASSWORD}")))
    assert body["status"] == 500 and body["type"] == f"{TYPE_PREFIX}internal" and "boom" not in json.dumps(body)

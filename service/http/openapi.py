"""The API description: Litestar's generated spec, completed with security, problems, headers and the POST body."""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec
from litestar import Litestar, Request, Response
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.router import Router
from litestar.status_codes import HTTP_404_NOT_FOUND

from service.core import errors as e
from service.http.problems import PROBLEM_MEDIA_TYPE, TYPE_PREFIX, problem_response
from service.ops.legacy.requests import LegacyLabelsRequest, LegacyWorkspacesRequest
from service.ops.results import MigrateRequest

SECURITY_SCHEME = "bearerAuth"
PUBLIC_OPERATIONS = frozenset({"livez", "readyz"})
# The errors each operation can answer as a problem (beyond its success responses); status, slug and
# title come from the classes, so the spec says what the service really sends.
_READ = (e.Unauthorized, e.MaintenanceError, e.DatabaseUnavailable, e.DatabaseError)
_START = (
    e.Unauthorized,
    e.Forbidden,
    e.InvalidRequest,
    e.MaintenanceError,
    e.DatabaseUnavailable,
    e.DatabaseError,
    e.DatabaseLocked,
    e.IdempotencyKeyReused,
)
_REINDEX = (*_START, e.OperationConflict, e.UnsupportedSchema, e.SearchEngineUnavailable)
_LEGACY = (
    *_START,
    e.MalformedBody,
    e.PayloadTooLarge,
    e.UnsupportedMediaType,
    e.InvalidBody,
    e.OperationConflict,
    e.SearchEngineUnavailable,
    e.DatasetNotFound,
    e.NoLegacyData,
    e.DocumentChanged,
)
PROBLEMS: dict[str, tuple[type[e.MaintenanceError], ...]] = {
    "listRevisions": (*_READ, e.MultipleHeads),
    "migrate": (
        *_START,
        e.MalformedBody,
        e.PayloadTooLarge,
        e.UnsupportedMediaType,
        e.InvalidBody,
        e.UnknownRevision,
        e.AmbiguousRevision,
        e.DowngradeNotAllowed,
        e.MultipleHeads,
        e.UnknownDatabaseRevision,
        e.UnmanagedDatabase,
        e.OperationConflict,
    ),
    "listOperations": (*_READ, e.InvalidRequest),
    "getOperation": (*_READ, e.InvalidRequest, e.OperationNotFound),
    "reindexAll": _REINDEX,
    "reindexDataset": (*_REINDEX, e.InvalidDatasetId, e.DatasetNotFound),
    "legacyStatus": (*_READ, e.SearchEngineUnavailable),
    "legacyLabels": _LEGACY,
    "legacyWorkspaces": (*_LEGACY, e.LegacyNameTaken, e.UnknownWorkspace, e.UnsupportedSchema, e.LegacyFixFailed),
    "livez": (),
    "readyz": (e.InvalidRequest, e.DatabaseUnavailable, e.SearchEngineUnavailable),
    "metrics": (e.Unauthorized, e.MaintenanceError),
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": f"RFC 9457 problem details; `type` is {TYPE_PREFIX}<slug>, one slug per failure.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "accepted_tags": {"type": "array", "items": {"type": "string"}},
        "candidates": {"type": "array", "items": {"type": "string"}},
        "plan": {"type": "object"},
        "operation_id": {"type": "string"},
        "operation_url": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "invalid_parameters": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}
_HEADERS = {
    "Location": {"description": "URL of the operation.", "schema": {"type": "string"}},
    "Preference-Applied": {"description": "wait=N when Prefer: wait was honoured.", "schema": {"type": "string"}},
}
_POST_PARAMETERS = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Same key and body: the same operation (joined, not restarted); different body: 422.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    },
    {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": "RFC 7240 `wait=N`: answer 200 if the operation ends within N seconds (capped), else 202.",
        "schema": {"type": "string"},
    },
]


def problem_responses(errors: tuple[type[e.MaintenanceError], ...]) -> dict[str, dict[str, Any]]:
    """One response per status, listing the ``type`` slug and title of every error answered with it."""
    by_status: dict[int, dict[str, str]] = {}
    for error in errors:
        by_status.setdefault(error.status, {})[error.slug] = error.title
    return {str(status): _problem_response(by_status[status]) for status in sorted(by_status)}


def _problem_response(titles: dict[str, str]) -> dict[str, Any]:
    description = "; ".join(f"{title} (`{slug}`)" for slug, title in sorted(titles.items()))
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# Request bodies read from raw bytes (so Litestar cannot see them): operation id -> (type, description).
REQUEST_BODIES: dict[str, tuple[type[msgspec.Struct], bool, str]] = {
    "migrate": (MigrateRequest, False, "Empty body: every default (migrate to head)."),
    "legacyLabels": (LegacyLabelsRequest, True, 'datasets is required: ids (workspace/name) or "all".'),
    "legacyWorkspaces": (LegacyWorkspacesRequest, True, "target_workspace is required; datasets defaults to all without one."),
}


def _complete_body(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    type_, required, description = REQUEST_BODIES[operation["operationId"]]
    (_, components) = msgspec.json.schema_components([type_], ref_template="#/components/schemas/{name}")
    schemas.update(components)
    operation["requestBody"] = {
        "required": required,
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{type_.__name__}"}}},
    }


def _complete_post(operation: dict[str, Any]) -> None:
    """Every POST starts an operation: idempotency and Prefer headers, 202 or (after Prefer: wait) 200."""
    operation["parameters"] = [*operation.get("parameters", []), *copy.deepcopy(_POST_PARAMETERS)]
    accepted = operation["responses"]["202"]
    accepted["description"] = "Operation started (or joined); poll its Location."
    finished = copy.deepcopy(accepted)
    finished["description"] = "Operation finished within Prefer: wait."
    for response in (accepted, finished):
        response["headers"] = copy.deepcopy(_HEADERS)
    operation["responses"]["200"] = finished
    operation["responses"].setdefault("400", _problem_response({e.InvalidRequest.slug: e.InvalidRequest.title}))


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add what Litestar cannot infer from the handlers; returns a new document."""
    doc = copy.deepcopy(document)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    components["securitySchemes"] = {
        SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "description": "ARGILLA_MAINT_TOKENS; read tokens may only GET."}
    }
    doc["security"] = [{SECURITY_SCHEME: []}]
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            op_id = operation["operationId"]
            responses = {k: v for k, v in operation.get("responses", {}).items() if k.startswith("2")}
            operation["responses"] = responses
            responses.update(problem_responses(PROBLEMS.get(op_id, ())))
            if op_id in PUBLIC_OPERATIONS:
                operation["security"] = []
            if "202" in responses:
                _complete_post(operation)
            if op_id in REQUEST_BODIES:
                _complete_body(operation, schemas)
    return doc


def document(app: Litestar) -> dict[str, Any]:
    """The complete API description of ``app``."""
    return complete(app.openapi_schema.to_schema())


def render(app: Litestar) -> str:
    """The description as committed in openapi/openapi.json (sorted keys, stable)."""
    return json.dumps(document(app), indent=2, sort_keys=True) + "\n"


class CompletedJsonPlugin(JsonRenderPlugin):
    """Serves the completed description at /openapi.json."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:  # noqa: ARG002 (the plugin's signature)
        return msgspec.json.encode(complete(openapi_schema))


def _schema_not_found(response: Response[Any]) -> Response[Any]:
    # Litestar answers unknown /schema/* paths with an HTML page; keep every 4xx a problem.
    if response.status_code == HTTP_404_NOT_FOUND:
        return problem_response(None, 404, "route-not-found", "No such route", "the API description is at /schema/openapi.json")
    return response


def openapi_config(version: str) -> OpenAPIConfig:
    """Serve the completed description at /schema and /schema/openapi.json, behind the token guard.

    Any token (read scope is enough) may read it: the spec is public in the repository anyway, but the
    served one names the deployed version, and nothing but liveness and readiness answers anonymously.
    """
    return OpenAPIConfig(
        title="Argilla maintenance API",
        version=version,
        description="Schema migrations and operation history of an Argilla deployment. Errors are RFC 9457 problems.",
        render_plugins=[CompletedJsonPlugin(path="/openapi.json")],
        openapi_router=Router("/schema", route_handlers=[], include_in_schema=False, after_request=_schema_not_found),
    )

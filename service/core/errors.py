"""The service's error tree: every failure an operator can meet, with an HTTP status and a stable slug.

    MaintenanceError                       500 internal
    +-- ConfigurationError                 500 configuration     (bad settings; raised at start-up)
    +-- InvalidRequest                     400 invalid-request
    |   +-- UnknownRevision                422 unknown-revision   (lists the accepted tags)
    |   +-- AmbiguousRevision              422 ambiguous-revision (lists the candidates)
    |   +-- DowngradeNotAllowed            422 downgrade-not-allowed (carries the plan)
    |   +-- UnsupportedSchema              422 unsupported-schema
    |   +-- PayloadTooLarge                413 body-too-large
    |   +-- UnsupportedMediaType           415 unsupported-media-type
    |   +-- MalformedBody                  400 malformed-json
    |   +-- InvalidBody                    422 invalid-body (unknown field, wrong type)
    |   +-- InvalidDatasetId               422 invalid-dataset-id (not a UUID)
    |   +-- ClientDisconnected             499 client-disconnected (the client left mid-body; counted, not a 500)
    +-- Unauthorized                       401 unauthorized
    +-- Forbidden                          403 forbidden
    +-- MultipleHeads                      409 multiple-heads
    +-- UnknownDatabaseRevision            409 unknown-database-revision
    +-- UnmanagedDatabase                  409 unmanaged-database (tables but no alembic_version)
    +-- OperationConflict                  409 operation-conflict (names the running operation)
    |   +-- DatabaseLocked                 409 database-locked (SQLite busy: another connection holds the write lock)
    +-- IdempotencyKeyReused               422 idempotency-key-reused
    +-- NotFound                           404 not-found
    |   +-- OperationNotFound              404 operation-not-found
    |   +-- DatasetNotFound                404 dataset-not-found
    |   +-- NoLegacyData                   404 no-legacy-data (no ar.datasets index)
    +-- UnknownWorkspace                   422 unknown-workspace (a move's target is not a row in SQL)
    +-- LegacyNameTaken                    409 legacy-name-taken (the target id or index exists)
    +-- DatabaseUnavailable                503 database-unavailable (URL masked; names the cause: down, auth, unknown db)
    +-- DatabaseError                      500 database-error (the database's message, sanitized)
    +-- SearchEngineUnavailable            503 search-engine-unavailable
    +-- MigrationFailed                    500 migration-failed
    +-- IntegrityCheckFailed               500 integrity-check-failed (foreign_key_check violations)
    +-- ReindexFailed                      500 reindex-failed
    +-- LegacyFixFailed                    500 legacy-fix-failed (a check after a legacy step failed)
    +-- DocumentChanged                    409 document-changed (a conditional write met a newer version)

``detail`` is text we wrote; where the database's own message helps (a failed step, a refused
login), it is included sanitized by ``service.db.errors`` (URLs and configured passwords masked).
``extra`` holds machine-readable members that the HTTP layer adds to the problem body.
"""

from __future__ import annotations

from typing import Any, ClassVar


class MaintenanceError(Exception):
    """Base of every error the service raises on purpose."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = extra


class ConfigurationError(MaintenanceError):
    slug = "configuration"
    title = "Invalid configuration"


class InvalidRequest(MaintenanceError):
    status = 400
    slug = "invalid-request"
    title = "Invalid request"


class UnknownRevision(InvalidRequest):
    status = 422
    slug = "unknown-revision"
    title = "Unknown revision or release tag"


class AmbiguousRevision(InvalidRequest):
    status = 422
    slug = "ambiguous-revision"
    title = "Ambiguous revision prefix"


class DowngradeNotAllowed(InvalidRequest):
    status = 422
    slug = "downgrade-not-allowed"
    title = "Downgrade not allowed"


class UnsupportedSchema(InvalidRequest):
    status = 422
    slug = "unsupported-schema"
    title = "Database schema not supported for this operation"


class MultipleHeads(MaintenanceError):
    status = 409
    slug = "multiple-heads"
    title = "Several heads"


class UnknownDatabaseRevision(MaintenanceError):
    status = 409
    slug = "unknown-database-revision"
    title = "Database is at a revision this tool does not know"


class OperationConflict(MaintenanceError):
    status = 409
    slug = "operation-conflict"
    title = "Another operation is running"


class IdempotencyKeyReused(MaintenanceError):
    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency key reused with a different request"


class NotFound(MaintenanceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class OperationNotFound(NotFound):
    slug = "operation-not-found"
    title = "Operation not found"


class DatasetNotFound(NotFound):
    slug = "dataset-not-found"
    title = "Dataset not found"


class DatabaseUnavailable(MaintenanceError):
    status = 503
    slug = "database-unavailable"
    title = "Database unreachable"


class SearchEngineUnavailable(MaintenanceError):
    status = 503
    slug = "search-engine-unavailable"
    title = "Search engine unreachable or not configured"


class MigrationFailed(MaintenanceError):
    slug = "migration-failed"
    title = "Migration failed"


class IntegrityCheckFailed(MaintenanceError):
    slug = "integrity-check-failed"
    title = "Foreign-key check failed after migration"


class ReindexFailed(MaintenanceError):
    slug = "reindex-failed"
    title = "Reindex failed"


class Unauthorized(MaintenanceError):
    status = 401
    slug = "unauthorized"
    title = "Missing or invalid bearer token"


class Forbidden(MaintenanceError):
    status = 403
    slug = "forbidden"
    title = "Token not allowed to do this"


class PayloadTooLarge(InvalidRequest):
    status = 413
    slug = "body-too-large"
    title = "Request body too large"


class UnsupportedMediaType(InvalidRequest):
    status = 415
    slug = "unsupported-media-type"
    title = "Wrong content type"


class MalformedBody(InvalidRequest):
    slug = "malformed-json"
    title = "Malformed JSON body"


class InvalidBody(InvalidRequest):
    status = 422
    slug = "invalid-body"
    title = "Body does not match the schema (unknown field or wrong type)"


class InvalidDatasetId(InvalidRequest):
    status = 422
    slug = "invalid-dataset-id"
    title = "Dataset id is not a UUID"


class ClientDisconnected(InvalidRequest):
    # nginx's "client closed request": nobody reads the answer, but metrics and logs must not call it a 500.
    status = 499
    slug = "client-disconnected"
    title = "Client disconnected before the request was read"


class NoLegacyData(NotFound):
    slug = "no-legacy-data"
    title = "No legacy (Argilla 1.x) data in the search engine"


class UnknownWorkspace(MaintenanceError):
    status = 422
    slug = "unknown-workspace"
    title = "Workspace not found in the database"


class LegacyNameTaken(MaintenanceError):
    status = 409
    slug = "legacy-name-taken"
    title = "Dataset name already taken in the target workspace"


class LegacyFixFailed(MaintenanceError):
    slug = "legacy-fix-failed"
    title = "Legacy dataset fix failed"


class DocumentChanged(MaintenanceError):
    status = 409
    slug = "document-changed"
    title = "Document changed concurrently"


class DatabaseLocked(OperationConflict):
    slug = "database-locked"
    title = "SQLite database locked by another connection"


class DatabaseError(MaintenanceError):
    slug = "database-error"
    title = "The database refused the request"


class UnmanagedDatabase(MaintenanceError):
    status = 409
    slug = "unmanaged-database"
    title = "Database has tables but no alembic_version"

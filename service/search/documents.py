"""The document Argilla 2.x writes for a record (``_id`` = record id), built from loaded rows (pure)."""

from __future__ import annotations

from typing import Any

import msgspec

from service.search.schema import DatasetSchema, RecordRow, ResponseRow


def record_document(record: RecordRow, dataset: DatasetSchema) -> dict[str, Any]:
    """id, external_id, fields, status, timestamps; metadata/responses/suggestions/vectors only when non-empty."""
    document: dict[str, Any] = {
        "id": str(record.id),
        "external_id": record.external_id,
        "fields": normalized_fields(record.fields, dataset),
        "status": record.status,
        "inserted_at": record.inserted_at,
        "updated_at": record.updated_at,
    }
    if record.metadata:
        # Argilla checks the stored metadata for truthiness, then keeps configured non-null keys (maybe {}).
        document["metadata"] = {
            p.name: record.metadata[p.name] for p in dataset.metadata_properties if record.metadata.get(p.name) is not None
        }
    if record.responses:
        document["responses"] = [response_document(r) for r in record.responses]
    if record.suggestions:
        document["suggestions"] = {
            s.question_name: {"type": s.type, "agent": s.agent, "score": s.score, "value": s.value} for s in record.suggestions
        }
    if record.vectors:
        document["vectors"] = {str(v.vector_settings_id): v.value for v in record.vectors}
    return document


def normalized_fields(stored: dict[str, Any] | None, dataset: DatasetSchema) -> dict[str, Any]:
    """Per dataset field, as Argilla 2.8 does: image untouched, custom -> str(value) unless None, others as stored.

    A field the record lacks becomes None (custom too: Argilla stringifies only a value that is not None,
    so an empty custom ``{}`` gives ``"{}"``). An image field keeps its stored value, or stays absent: the
    mapping keeps it out of ``_source``. Keys that are not dataset fields stay as stored, as in Argilla.
    """
    fields = dict(stored or {})
    for field in dataset.fields:
        if field.type == "image":
            continue
        value = fields.get(field.name)
        fields[field.name] = str(value) if field.type == "custom" and value is not None else value
    return fields


def response_document(response: ResponseRow) -> dict[str, Any]:
    """{id, status, user_id, <question>: value["value"]}; NULL values give no question keys."""
    values = response.values or {}
    return {
        "id": str(response.id),
        "status": response.status,
        "user_id": str(response.user_id) if response.user_id is not None else None,
        **{question: _unwrap(value) for question, value in values.items()},
    }


def _unwrap(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else None


_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


def restringified_custom_fields(document: bytes, dataset: DatasetSchema) -> bytes:
    """A document built elsewhere with raw custom values, given Argilla's ``str(value)`` (re-encoded: one line)."""
    decoded = _decode(document)
    fields = decoded.get("fields")
    if isinstance(fields, dict):
        for field in dataset.fields:
            value = fields.get(field.name)
            if field.type == "custom" and value is not None and not isinstance(value, str):
                fields[field.name] = str(value)
    return _encode(decoded)

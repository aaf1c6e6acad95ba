"""Index settings and mapping for a dataset, exactly as Argilla 2.x creates them (pure functions)."""

from __future__ import annotations

from typing import Any, Literal

from service.search.schema import DatasetSchema, NamedSetting, VectorSetting

EngineName = Literal["elasticsearch", "opensearch"]
MAX_RESULT_WINDOW = 500_000

_METADATA_TYPES = {"terms": "keyword", "integer": "long", "float": "float"}


def index_settings(engine: EngineName, *, shards: int, replicas: int, total_fields_limit: int) -> dict[str, Any]:
    """Settings Argilla passes when it creates ``rg.<id>`` (OpenSearch also turns k-NN off)."""
    settings: dict[str, Any] = {
        "index.mapping.total_fields.limit": total_fields_limit,
        "max_result_window": MAX_RESULT_WINDOW,
        "number_of_shards": shards,
        "number_of_replicas": replicas,
    }
    if engine == "opensearch":
        settings["index.knn"] = False
    return settings


def index_mappings(engine: EngineName, dataset: DatasetSchema) -> dict[str, Any]:
    """The whole mapping: strict, image fields kept out of ``_source``, one property per dataset setting."""
    return {
        "dynamic": "strict",
        "_source": {"excludes": [f"fields.{f.name}" for f in dataset.fields if f.type == "image"]},
        "properties": {
            "id": {"type": "keyword"},
            "external_id": {"type": "keyword"},
            "status": {"type": "keyword"},
            "inserted_at": {"type": "date_nanos"},
            "updated_at": {"type": "date_nanos"},
            **{f"fields.{f.name}": field_mapping(f) for f in dataset.fields},
            "metadata": {"dynamic": False, "type": "object"},
            **{f"metadata.{m.name}": metadata_mapping(m) for m in dataset.metadata_properties},
            **{f"vectors.{v.id}": vector_mapping(engine, v) for v in dataset.vectors_settings},
            **{f"suggestions.{q.name}": suggestion_mapping(q) for q in dataset.questions},
            "responses": responses_mapping(dataset.questions),
        },
    }


def field_mapping(field: NamedSetting) -> dict[str, Any]:
    """text and custom -> text; chat -> object of content/role; image -> a disabled object."""
    if field.type in ("text", "custom"):
        return {"type": "text"}
    if field.type == "chat":
        return {"type": "object", "properties": {"content": {"type": "text"}, "role": {"type": "keyword"}}}
    if field.type == "image":
        return {"type": "object", "enabled": False}
    raise ValueError(f"field {field.name!r} has type {field.type!r}, which Argilla 2.x cannot index")


def metadata_mapping(prop: NamedSetting) -> dict[str, Any]:
    if prop.type not in _METADATA_TYPES:
        raise ValueError(f"metadata property {prop.name!r} has type {prop.type!r}, which Argilla 2.x cannot index")
    return {"type": _METADATA_TYPES[prop.type]}


def question_mapping(question: NamedSetting) -> dict[str, Any]:
    """rating -> integer; (multi) label selection -> keyword; anything else is stored, not indexed."""
    if question.type == "rating":
        return {"type": "integer"}
    if question.type in ("label_selection", "multi_label_selection"):
        return {"type": "keyword"}
    return {"type": "object", "enabled": False}


def suggestion_mapping(question: NamedSetting) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "value": question_mapping(question),
            "score": {"type": "float"},
            "agent": {"type": "keyword"},
            "type": {"type": "keyword"},
        },
    }


def responses_mapping(questions: Any) -> dict[str, Any]:
    return {
        "type": "nested",
        "dynamic": "strict",
        "include_in_root": True,
        "properties": {
            "id": {"type": "keyword"},
            "status": {"type": "keyword"},
            "user_id": {"type": "keyword"},
            **{q.name: question_mapping(q) for q in questions},
        },
    }


def vector_mapping(engine: EngineName, vector: VectorSetting) -> dict[str, Any]:
    """ES dense_vector (cosine) or OpenSearch knn_vector (HNSW on the lucene engine, cosinesimil)."""
    if engine == "elasticsearch":
        return {"type": "dense_vector", "dims": vector.dimensions, "index": True, "similarity": "cosine"}
    return {
        "type": "knn_vector",
        "dimension": vector.dimensions,
        "method": {
            "name": "hnsw",
            "engine": "lucene",
            "space_type": "cosinesimil",
            "parameters": {"m": 2, "ef_construction": 4},
        },
    }

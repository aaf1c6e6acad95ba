"""Index settings and mapping of a dataset, as Argilla 2.x creates them, without a search node."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from service.db.records import Dataset, Setting, VectorSettings
from service.search.mappings import MAX_RESULT_WINDOW, index_mappings, index_settings

pytestmark = pytest.mark.unit
VECTOR_ID = uuid.UUID("00000000-0000-0000-0000-0000000000aa")


def _dataset(**parts: tuple[object, ...]) -> Dataset:
    return Dataset(id=uuid.uuid4(), name="d", status="ready", inserted_at=datetime(2026, 1, 1), **parts)  # type: ignore[arg-type]


def test_settings_carry_the_configured_sizes_and_opensearch_turns_knn_off() -> None:
    """Shards, replicas and the field limit reach the index; only OpenSearch gets index.knn = false."""
    es = index_settings("elasticsearch", shards=3, replicas=1, total_fields_limit=2000)
    assert es == {
        "index.mapping.total_fields.limit": 2000,
        "max_result_window": MAX_RESULT_WINDOW,
        "number_of_shards": 3,
        "number_of_replicas": 1,
    }
    assert index_settings("opensearch", shards=1, replicas=0, total_fields_limit=10)["index.knn"] is False


def test_field_types_map_to_argilla_properties_and_images_leave_source() -> None:
    """text/custom -> text, chat -> content/role object, image -> disabled object kept out of _source."""
    dataset = _dataset(fields=(Setting("t", "text"), Setting("c", "custom"), Setting("chat", "chat"), Setting("img", "image")))
    mapping = index_mappings("elasticsearch", dataset)
    props = mapping["properties"]
    assert mapping["dynamic"] == "strict" and mapping["_source"] == {"excludes": ["fields.img"]}
    assert props["fields.t"] == props["fields.c"] == {"type": "text"}
    assert props["fields.chat"]["properties"] == {"content": {"type": "text"}, "role": {"type": "keyword"}}
    assert props["fields.img"] == {"type": "object", "enabled": False}
    assert {"id", "external_id", "status", "inserted_at", "updated_at", "metadata", "responses"} <= set(props)
    assert props["inserted_at"] == {"type": "date_nanos"}


def test_metadata_and_questions_map_by_type() -> None:
    """terms/integer/float metadata; rating -> integer, label questions -> keyword, others stored unindexed."""
    dataset = _dataset(
        metadata_properties=(Setting("lang", "terms"), Setting("n", "integer"), Setting("x", "float")),
        questions=(
            Setting("r", "rating"),
            Setting("l", "label_selection"),
            Setting("m", "multi_label_selection"),
            Setting("t", "text"),
        ),
    )
    props = index_mappings("elasticsearch", dataset)["properties"]
    assert [props[f"metadata.{n}"]["type"] for n in ("lang", "n", "x")] == ["keyword", "long", "float"]
    assert props["suggestions.r"]["properties"]["value"] == {"type": "integer"}
    assert props["suggestions.l"]["properties"]["value"] == props["suggestions.m"]["properties"]["value"] == {"type": "keyword"}
    assert props["suggestions.t"]["properties"]["value"] == {"type": "object", "enabled": False}
    responses = props["responses"]
    assert responses["type"] == "nested" and responses["include_in_root"] is True
    assert responses["properties"]["r"] == {"type": "integer"} and responses["properties"]["t"] == {
        "type": "object",
        "enabled": False,
    }


def test_vectors_are_dense_vector_on_elasticsearch_and_knn_vector_on_opensearch() -> None:
    """Each engine gets its own vector type with the dataset's dimensions, keyed by the settings id."""
    dataset = _dataset(vectors_settings=(VectorSettings(VECTOR_ID, "emb", 8),))
    es = index_mappings("elasticsearch", dataset)["properties"][f"vectors.{VECTOR_ID}"]
    os_ = index_mappings("opensearch", dataset)["properties"][f"vectors.{VECTOR_ID}"]
    assert es == {"type": "dense_vector", "dims": 8, "index": True, "similarity": "cosine"}
    assert os_["type"] == "knn_vector" and os_["dimension"] == 8 and os_["method"]["space_type"] == "cosinesimil"


@pytest.mark.parametrize(
    ("parts", "needle"),
    [
        ({"fields": (Setting("f", "video"),)}, "field 'f' has type 'video'"),
        ({"metadata_properties": (Setting("m", "date"),)}, "metadata property 'm' has type 'date'"),
    ],
)
def test_types_argilla_cannot_index_are_refused_by_name(parts: dict[str, tuple[Setting, ...]], needle: str) -> None:
    """An unknown field or metadata type is an error naming the setting, not a silently wrong mapping."""
    with pytest.raises(ValueError, match=needle):
        index_mappings("elasticsearch", _dataset(**parts))

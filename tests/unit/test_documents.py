"""The document Argilla 2.x writes for a record, built from loaded rows without a database."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from service.db.records import Dataset, Record, Response, Setting, Suggestion, Vector
from service.search.documents import normalized_fields, record_document, response_document

pytestmark = pytest.mark.unit
WHEN = datetime(2026, 1, 2, 3, 4, 5)


def _dataset() -> Dataset:
    return Dataset(
        id=uuid.uuid4(),
        name="d",
        status="ready",
        inserted_at=WHEN,
        fields=(Setting("text", "text"), Setting("img", "image"), Setting("c", "custom")),
        metadata_properties=(Setting("lang", "terms"), Setting("n", "integer")),
    )


def _record(**changes: object) -> Record:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "external_id": "ext-1",
        "fields": {"text": "hello", "img": "data:...", "extra": 1},
        "metadata": None,
        "status": "pending",
        "inserted_at": WHEN,
        "updated_at": WHEN,
    }
    values.update(changes)
    return Record(**values)  # type: ignore[arg-type]


def test_fields_follow_the_dataset_settings_and_keep_unknown_keys() -> None:
    """As Argilla 2.8: image untouched (absent stays absent), custom -> str unless None, missing -> None; other keys stay."""
    fields = normalized_fields({"text": "hi", "img": "x", "extra": 1}, _dataset())
    assert fields == {"text": "hi", "img": "x", "c": None, "extra": 1}
    assert normalized_fields(None, _dataset()) == {"text": None, "c": None}
    assert normalized_fields({"c": {}}, _dataset())["c"] == "{}"
    assert normalized_fields({"c": {"a": 1}}, _dataset())["c"] == "{'a': 1}"


def test_minimal_record_has_no_optional_sections() -> None:
    """A record without metadata, responses, suggestions or vectors gets none of those keys."""
    record = _record()
    document = record_document(record, _dataset())
    assert document == {
        "id": str(record.id),
        "external_id": "ext-1",
        "fields": {"text": "hello", "img": "data:...", "c": None, "extra": 1},
        "status": "pending",
        "inserted_at": WHEN,
        "updated_at": WHEN,
    }


def test_metadata_keeps_configured_non_null_keys_only() -> None:
    """Unconfigured and null metadata keys are dropped; a truthy metadata without configured keys gives {}."""
    assert record_document(_record(metadata={"lang": "en", "n": None, "other": 3}), _dataset())["metadata"] == {"lang": "en"}
    assert record_document(_record(metadata={"other": 3}), _dataset())["metadata"] == {}
    assert "metadata" not in record_document(_record(metadata={}), _dataset())


def test_responses_suggestions_and_vectors_are_rendered_as_argilla_does() -> None:
    """Response values unwrap {"value": v}; suggestions key by question; vectors key by settings id."""
    user, settings_id = uuid.uuid4(), uuid.uuid4()
    response = Response(uuid.uuid4(), "submitted", user, {"q": {"value": 3}, "broken": "not-a-dict"})
    record = _record(
        responses=[response],
        suggestions=[Suggestion("q", "model", "gpt", 0.5, 2)],
        vectors=[Vector(settings_id, [0.1, 0.2])],
    )
    document = record_document(record, _dataset())
    assert document["responses"] == [
        {"id": str(response.id), "status": "submitted", "user_id": str(user), "q": 3, "broken": None}
    ]
    assert document["suggestions"] == {"q": {"type": "model", "agent": "gpt", "score": 0.5, "value": 2}}
    assert document["vectors"] == {str(settings_id): [0.1, 0.2]}


def test_a_response_without_values_or_user_has_no_question_keys() -> None:
    """NULL values give only id/status/user_id, and a deleted user shows as None."""
    response = Response(uuid.uuid4(), "discarded", None, None)
    assert response_document(response) == {"id": str(response.id), "status": "discarded", "user_id": None}

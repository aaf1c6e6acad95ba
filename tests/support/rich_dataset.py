"""A small dataset with every field/question/metadata type and every edge value, and Argilla 2.8's documents for it.

The expected documents are written out by hand from Argilla 2.8's own document builder
(``argilla_server.search_engine.commons``: ``_map_record_to_es_document`` and the helpers it calls), as
recorded in ``tests/support/ARGILLA_FACTS.md``. They correct the shared fact sheet (section 4.4), which says
a missing custom value becomes ``""``: Argilla 2.8 stringifies a custom value only when it is not None
(``None`` -> ``null``, ``{}`` -> ``"{}"``, ``0`` -> ``"0"``), leaves image values as stored (the mapping keeps
them out of ``_source``) and writes ``null`` for any other dataset field the record lacks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests.support import argilla_seed as t

NOW = datetime(2024, 6, 1, 9, 30, 0)
FIELDS = {"text": "text", "context": "text", "chat": "chat", "image": "image", "custom": "custom", "custom_b": "custom"}
QUESTIONS = {
    "rating": "rating",
    "label": "label_selection",
    "topics": "multi_label_selection",
    "comment": "text",
    "rank": "ranking",
    "span": "span",
}
METADATA = {"genre": "terms", "pages": "integer", "quality": "float"}
VECTORS = {"small": 3, "pair": 2}


@dataclass
class Rich:
    """Ids of what was seeded; ``documents`` maps a record id to the document Argilla 2.8 sends for it."""

    dataset_id: uuid.UUID
    users: list[uuid.UUID]
    vectors: dict[str, uuid.UUID]
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Insertion order of the records (Argilla feeds them by inserted_at), which differs from id order.
    inserted_order: list[str] = field(default_factory=list)


def _ts(offset: int) -> dict[str, datetime]:
    at = NOW + timedelta(seconds=offset, microseconds=offset * 1001 if offset % 2 else 0)
    return {"inserted_at": at, "updated_at": at + timedelta(minutes=1)}


def _iso(at: datetime) -> str:
    return at.isoformat()


def seed_rich(url: str) -> Rich:
    """Seed the rich dataset (ready) into a database already at head; return ids and expected documents."""
    engine = t.sync_engine(url)
    try:
        with engine.begin() as conn:
            return _seed(conn)
    finally:
        engine.dispose()


def _seed(conn: sa.Connection) -> Rich:
    base = {"inserted_at": NOW, "updated_at": NOW}
    users = [uuid.uuid4(), uuid.uuid4()]
    conn.execute(
        t.users.insert(),
        [
            {"id": u, "first_name": f"r{n}", "last_name": None, "username": f"rich{n}-{u.hex[:6]}", "role": "annotator",
             "api_key": u.hex, "password_hash": "x", **base}
            for n, u in enumerate(users)
        ],
    )  # fmt: skip
    workspace = uuid.uuid4()
    conn.execute(t.workspaces.insert(), {"id": workspace, "name": f"rich-{workspace.hex[:8]}", **base})
    dataset = uuid.uuid4()
    conn.execute(
        t.datasets.insert(),
        {"id": dataset, "name": f"rich-{dataset.hex[:6]}", "guidelines": None, "status": "ready", "workspace_id": workspace,
         "allow_extra_metadata": True, "last_activity_at": NOW, "distribution": {"strategy": "overlap", "min_submitted": 1},
         **base},
    )  # fmt: skip
    conn.execute(
        t.fields.insert(),
        [
            {"id": uuid.uuid4(), "name": name, "title": name, "required": name == "text", "settings": {"type": kind},
             "dataset_id": dataset, "inserted_at": NOW + timedelta(milliseconds=n), "updated_at": NOW}
            for n, (name, kind) in enumerate(FIELDS.items())
        ],
    )  # fmt: skip
    question_ids = {name: uuid.uuid4() for name in QUESTIONS}
    conn.execute(
        t.questions.insert(),
        [
            {"id": question_ids[name], "name": name, "title": name, "description": None, "required": False,
             "settings": {"type": kind}, "dataset_id": dataset, "inserted_at": NOW + timedelta(milliseconds=n), "updated_at": NOW}
            for n, (name, kind) in enumerate(QUESTIONS.items())
        ],
    )  # fmt: skip
    conn.execute(
        t.metadata_properties.insert(),
        [
            {"id": uuid.uuid4(), "name": name, "title": name, "settings": {"type": kind}, "allowed_roles": [],
             "dataset_id": dataset, "inserted_at": NOW + timedelta(milliseconds=n), "updated_at": NOW}
            for n, (name, kind) in enumerate(METADATA.items())
        ],
    )  # fmt: skip
    vectors = {name: uuid.uuid4() for name in VECTORS}
    conn.execute(
        t.vectors_settings.insert(),
        [
            {"id": vectors[name], "name": name, "title": name, "dimensions": dims, "dataset_id": dataset,
             "inserted_at": NOW + timedelta(milliseconds=n), "updated_at": NOW}
            for n, (name, dims) in enumerate(VECTORS.items())
        ],
    )  # fmt: skip
    rich = Rich(dataset, users, vectors)
    cases = _cases(users)
    # Record ids ascend with the case number while inserted_at descends: id order is the reverse of Argilla's.
    ids = sorted(uuid.uuid4() for _ in cases)
    for offset, case in enumerate(cases):
        _insert_case(conn, rich, question_ids, offset, case, ids[offset])
    return rich


def _cases(users: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Each case: what is stored (fields, metadata, responses, suggestions, vectors) and Argilla's document parts."""
    u0, u1 = (str(u) for u in users)
    return [
        {  # everything present
            "fields": {"text": "alpha beta", "context": "ctx", "chat": [{"role": "user", "content": "hi"}],
                       "image": "https://x/a.png", "custom": {"k": 1, "s": "x", "n": None, "b": True}, "custom_b": "plain"},
            "metadata": {"genre": "news", "pages": 3, "quality": 0.5, "unconfigured": "kept in SQL only"},
            "responses": [
                (0, "submitted", {"rating": {"value": 4}, "label": {"value": "pos"}, "topics": {"value": ["pos", "neu"]},
                                  "comment": {"value": "fine"}, "rank": {"value": [{"value": "a", "rank": 1}]},
                                  "span": {"value": [{"label": "PER", "start": 0, "end": 5}]}}),
                (1, "draft", {"comment": {"value": "later"}}),
            ],
            "suggestions": [("label", "model", "m-1", 0.9, "neg"), ("topics", "human", None, [0.1, 0.2], ["pos"])],
            "vectors": {"small": [0.5, -0.25, 1.0], "pair": [1.0, 0.0]},
            "doc_fields": {"text": "alpha beta", "context": "ctx", "chat": [{"role": "user", "content": "hi"}],
                           "image": "https://x/a.png", "custom": "{'k': 1, 's': 'x', 'n': None, 'b': True}", "custom_b": "plain"},
            "doc_metadata": {"genre": "news", "pages": 3, "quality": 0.5},
            "doc_responses": [
                {"status": "submitted", "user_id": u0, "rating": 4, "label": "pos", "topics": ["pos", "neu"], "comment": "fine",
                 "rank": [{"value": "a", "rank": 1}], "span": [{"label": "PER", "start": 0, "end": 5}]},
                {"status": "draft", "user_id": u1, "comment": "later"},
            ],
            "doc_suggestions": {"label": {"type": "model", "agent": "m-1", "score": 0.9, "value": "neg"},
                                "topics": {"type": "human", "agent": None, "score": [0.1, 0.2], "value": ["pos"]}},
        },
        {  # nothing optional: custom JSON null, missing text fields, no image, NULL metadata, no relations
            "fields": {"text": "only text", "custom": None},
            "metadata": None,
            "doc_fields": {"text": "only text", "context": None, "chat": None, "custom": None, "custom_b": None},
        },
        {  # empty values: custom {}, custom_b [], empty text, metadata {}
            "fields": {"text": "", "context": "", "custom": {}, "custom_b": []},
            "metadata": {},
            "responses": [(1, "discarded", {})],
            "suggestions": [("label", None, None, None, None)],
            "doc_fields": {"text": "", "context": "", "chat": None, "custom": "{}", "custom_b": "[]"},
            "doc_responses": [{"status": "discarded", "user_id": u1}],
            "doc_suggestions": {"label": {"type": None, "agent": None, "score": None, "value": None}},
        },
        {  # falsy custom values that are not None, metadata whose values are all null (truthy dict -> {})
            "fields": {"text": "zero", "custom": 0, "custom_b": False, "chat": []},
            "metadata": {"genre": None, "pages": None, "unconfigured": 1},
            "responses": [(0, "submitted", {"rating": {"value": None}, "label": {"value": "neu"}})],
            "vectors": {"pair": [0.0, 1.0]},
            "doc_fields": {"text": "zero", "context": None, "chat": [], "custom": "0", "custom_b": "False"},
            "doc_metadata": {},
            "doc_responses": [{"status": "submitted", "user_id": u0, "rating": None, "label": "neu"}],
        },
        {  # numbers and strings as custom values, zero metadata values kept, unicode text
            "fields": {"text": "naïve ☃ \"quoted\" \\ back", "context": "c", "chat": [{"role": "assistant", "content": ""}],
                       "image": None, "custom": 1.5, "custom_b": "{\"already\": \"json\"}"},
            "metadata": {"genre": "", "pages": 0, "quality": 0.0},
            "doc_fields": {"text": "naïve ☃ \"quoted\" \\ back", "context": "c", "chat": [{"role": "assistant", "content": ""}],
                           "image": None, "custom": "1.5", "custom_b": "{\"already\": \"json\"}"},
            "doc_metadata": {"genre": "", "pages": 0, "quality": 0.0},
        },
    ]  # fmt: skip


def _insert_case(
    conn: sa.Connection, rich: Rich, question_ids: dict[str, uuid.UUID], offset: int, case: dict[str, Any], rid: uuid.UUID
) -> None:
    # Later cases are inserted first: inserted_at order is the reverse of the case order.
    ts = _ts(100 - offset)
    status = "completed" if any(r[1] == "submitted" for r in case.get("responses", [])) else "pending"
    conn.execute(
        t.records.insert(),
        {"id": rid, "fields": case["fields"], "metadata": case["metadata"], "external_id": f"rich-{offset}",
         "status": status, "dataset_id": rich.dataset_id, **ts},
    )  # fmt: skip
    doc: dict[str, Any] = {
        "id": str(rid),
        "external_id": f"rich-{offset}",
        "fields": case["doc_fields"],
        "status": status,
        "inserted_at": _iso(ts["inserted_at"]),
        "updated_at": _iso(ts["updated_at"]),
    }
    if "doc_metadata" in case:
        doc["metadata"] = case["doc_metadata"]
    responses = []
    for n, (user, rstatus, values) in enumerate(case.get("responses", [])):
        response_id = uuid.uuid4()
        stored = None if rstatus == "discarded" else values
        conn.execute(
            t.responses.insert(),
            {"id": response_id, "status": rstatus, "values": stored, "record_id": rid, "user_id": rich.users[user],
             "inserted_at": ts["inserted_at"] + timedelta(seconds=n), "updated_at": ts["updated_at"]},
        )  # fmt: skip
        responses.append({"id": str(response_id), **case["doc_responses"][n]})
    if responses:
        doc["responses"] = responses
    for n, (question, kind, agent, score, value) in enumerate(case.get("suggestions", [])):
        conn.execute(
            t.suggestions.insert(),
            {"id": uuid.uuid4(), "value": value, "score": score, "agent": agent, "type": kind, "record_id": rid,
             "question_id": question_ids[question], "inserted_at": ts["inserted_at"] + timedelta(seconds=n),
             "updated_at": ts["updated_at"]},
        )  # fmt: skip
    if "doc_suggestions" in case:
        doc["suggestions"] = case["doc_suggestions"]
    for name, value in case.get("vectors", {}).items():
        conn.execute(
            t.vectors.insert(),
            {"id": uuid.uuid4(), "value": value, "record_id": rid, "vector_settings_id": rich.vectors[name], **ts},
        )
    if case.get("vectors"):
        doc["vectors"] = {str(rich.vectors[name]): value for name, value in case["vectors"].items()}
    rich.documents[str(rid)] = doc
    rich.inserted_order.insert(0, str(rid))


def as_source(document: dict[str, Any]) -> dict[str, Any]:
    """What ``_source`` returns for a document: image fields are excluded by the mapping."""
    out = dict(document)
    out["fields"] = {k: v for k, v in document["fields"].items() if FIELDS.get(k) != "image"}
    return out

"""Seed an Argilla 2.x database (already migrated to head) with datasets, records and their relations, in SQL.

Also builds, independently of service.search, the document Argilla 2.x would index for a seeded record,
so tests can compare what the reindex wrote with what Argilla writes.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

meta = sa.MetaData()
_ts = (sa.Column("inserted_at", sa.DateTime), sa.Column("updated_at", sa.DateTime))


def _table(name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(name, meta, sa.Column("id", sa.Uuid, primary_key=True), *columns, *(sa.Column(c.name, c.type) for c in _ts))


users = _table(
    "users",
    sa.Column("first_name", sa.String),
    sa.Column("last_name", sa.String),
    sa.Column("username", sa.String),
    sa.Column("role", sa.String),
    sa.Column("api_key", sa.Text),
    sa.Column("password_hash", sa.Text),
)
workspaces = _table("workspaces", sa.Column("name", sa.String))
datasets = _table(
    "datasets",
    sa.Column("name", sa.String),
    sa.Column("guidelines", sa.Text),
    sa.Column("status", sa.String),
    sa.Column("workspace_id", sa.Uuid),
    sa.Column("allow_extra_metadata", sa.Boolean),
    sa.Column("last_activity_at", sa.DateTime),
    sa.Column("distribution", sa.JSON),
)
fields = _table(
    "fields",
    sa.Column("name", sa.String),
    sa.Column("title", sa.Text),
    sa.Column("required", sa.Boolean),
    sa.Column("settings", sa.JSON),
    sa.Column("dataset_id", sa.Uuid),
)
questions = _table(
    "questions",
    sa.Column("name", sa.String),
    sa.Column("title", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("required", sa.Boolean),
    sa.Column("settings", sa.JSON),
    sa.Column("dataset_id", sa.Uuid),
)
metadata_properties = _table(
    "metadata_properties",
    sa.Column("name", sa.String),
    sa.Column("title", sa.Text),
    sa.Column("settings", sa.JSON),
    sa.Column("allowed_roles", sa.JSON),
    sa.Column("dataset_id", sa.Uuid),
)
vectors_settings = _table(
    "vectors_settings",
    sa.Column("name", sa.String),
    sa.Column("title", sa.Text),
    sa.Column("dimensions", sa.Integer),
    sa.Column("dataset_id", sa.Uuid),
)
records = _table(
    "records",
    sa.Column("fields", sa.JSON),
    sa.Column("metadata", sa.JSON),
    sa.Column("external_id", sa.String),
    sa.Column("status", sa.String),
    sa.Column("dataset_id", sa.Uuid),
)
responses = _table(
    "responses",
    sa.Column("values", sa.JSON),
    sa.Column("status", sa.String),
    sa.Column("record_id", sa.Uuid),
    sa.Column("user_id", sa.Uuid),
)
suggestions = _table(
    "suggestions",
    sa.Column("value", sa.JSON),
    sa.Column("score", sa.JSON),
    sa.Column("agent", sa.String),
    sa.Column("type", sa.String),
    sa.Column("record_id", sa.Uuid),
    sa.Column("question_id", sa.Uuid),
)
vectors = _table(
    "vectors", sa.Column("value", sa.JSON), sa.Column("record_id", sa.Uuid), sa.Column("vector_settings_id", sa.Uuid)
)

FIELD_TYPES = {"text": "text", "context": "text", "chat": "chat", "image": "image", "custom": "custom"}
QUESTION_TYPES = {"rating": "rating", "label": "label_selection", "topics": "multi_label_selection", "comment": "text"}
METADATA_TYPES = {"genre": "terms", "pages": "integer", "quality": "float"}
WORDS = ["apple", "river", "stone", "cloud", "ember", "maple", "orbit", "pixel"]
MARKER = "zebra"  # appears in the text of every 7th record
DIMENSIONS = 8


@dataclass
class Seeded:
    """What was seeded: ids to look things up and the expected per-record documents' inputs."""

    dataset_id: uuid.UUID
    draft_id: uuid.UUID
    user_ids: list[uuid.UUID]
    vector_settings_id: uuid.UUID
    question_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    record_ids: list[uuid.UUID] = field(default_factory=list)


def sync_engine(url: str) -> sa.Engine:
    """A plain synchronous engine for seeding (psycopg2 / sqlite3), whatever driver the URL names."""
    parsed = sa.make_url(url)
    driver = "postgresql+psycopg2" if parsed.get_backend_name() == "postgresql" else parsed.get_backend_name()
    return sa.create_engine(parsed.set(drivername=driver), poolclass=sa.pool.NullPool)


def seed(url: str, *, count: int = 3000, seed_value: int = 7, chunk: int = 5000) -> Seeded:
    """One published dataset with ``count`` records (+ responses, suggestions, vectors) and one draft dataset."""
    rng = random.Random(seed_value)
    now = datetime(2024, 5, 1, 12, 0, 0)
    engine = sync_engine(url)
    try:
        with engine.begin() as conn:
            seeded = _seed_settings(conn, now)
            for start in range(0, count, chunk):
                _seed_records(conn, seeded, rng, now, range(start, min(count, start + chunk)))
        return seeded
    finally:
        engine.dispose()


def _seed_settings(conn: sa.Connection, now: datetime) -> Seeded:
    ts = {"inserted_at": now, "updated_at": now}
    user_ids = [uuid.uuid4(), uuid.uuid4()]
    conn.execute(
        users.insert(),
        [
            {
                "id": uid,
                "first_name": f"u{n}",
                "last_name": None,
                "username": f"user{n}-{uid.hex[:6]}",
                "role": "annotator",
                "api_key": uid.hex,
                "password_hash": "x",
                **ts,
            }
            for n, uid in enumerate(user_ids)
        ],
    )
    workspace_id = uuid.uuid4()
    conn.execute(workspaces.insert(), {"id": workspace_id, "name": f"ws-{workspace_id.hex[:8]}", **ts})
    dataset_id, draft_id = uuid.uuid4(), uuid.uuid4()
    for ds_id, status, offset in ((dataset_id, "ready", 0), (draft_id, "draft", 1)):
        conn.execute(
            datasets.insert(),
            {
                "id": ds_id,
                "name": f"{status}-{ds_id.hex[:6]}",
                "guidelines": None,
                "status": status,
                "workspace_id": workspace_id,
                "allow_extra_metadata": True,
                "last_activity_at": now,
                "distribution": {"strategy": "overlap", "min_submitted": 1},
                "inserted_at": now + timedelta(seconds=offset),
                "updated_at": now,
            },
        )
    conn.execute(
        fields.insert(),
        [
            {
                "id": uuid.uuid4(),
                "name": name,
                "title": name,
                "required": name == "text",
                "settings": {"type": kind},
                "dataset_id": dataset_id,
                "inserted_at": now + timedelta(milliseconds=n),
                "updated_at": now,
            }
            for n, (name, kind) in enumerate(FIELD_TYPES.items())
        ],
    )
    question_ids = {name: uuid.uuid4() for name in QUESTION_TYPES}
    conn.execute(
        questions.insert(),
        [
            {
                "id": question_ids[name],
                "name": name,
                "title": name,
                "description": None,
                "required": False,
                "settings": _question_settings(kind),
                "dataset_id": dataset_id,
                "inserted_at": now + timedelta(milliseconds=n),
                "updated_at": now,
            }
            for n, (name, kind) in enumerate(QUESTION_TYPES.items())
        ],
    )
    conn.execute(
        metadata_properties.insert(),
        [
            {
                "id": uuid.uuid4(),
                "name": name,
                "title": name,
                "settings": {"type": kind},
                "allowed_roles": [],
                "dataset_id": dataset_id,
                **ts,
            }
            for name, kind in METADATA_TYPES.items()
        ],
    )
    vector_settings_id = uuid.uuid4()
    conn.execute(
        vectors_settings.insert(),
        {"id": vector_settings_id, "name": "emb", "title": "emb", "dimensions": DIMENSIONS, "dataset_id": dataset_id, **ts},
    )
    return Seeded(dataset_id, draft_id, user_ids, vector_settings_id, question_ids)


def _question_settings(kind: str) -> dict[str, Any]:
    if kind == "rating":
        return {"type": kind, "options": [{"value": v} for v in range(1, 6)]}
    if kind in ("label_selection", "multi_label_selection"):
        return {"type": kind, "options": [{"value": v, "text": v} for v in ("pos", "neg", "neu")]}
    return {"type": kind, "use_markdown": False}


def record_values(i: int, rng: random.Random) -> dict[str, Any]:
    """Fields and metadata of the i-th record (deterministic given the rng)."""
    words = [WORDS[(i + k) % len(WORDS)] for k in range(3)]
    if i % 7 == 0:
        words.append(MARKER)
    record_fields: dict[str, Any] = {
        "text": f"record {i} " + " ".join(words),
        "chat": [{"role": "user", "content": f"hi {i}"}],
        "image": "https://x/y.png",
        "custom": {"k": i} if i % 2 else None,
    }
    if i % 4:
        record_fields["context"] = f"context {i}"
    metadata: dict[str, Any] = {
        "genre": WORDS[i % 3],
        "pages": i,
        "quality": round(rng.random(), 3),
        "unconfigured": "kept in SQL only",
    }
    if i % 5 == 1:
        metadata["quality"] = None
    return {"fields": record_fields, "metadata": None if i % 5 == 0 else metadata}


def _seed_records(conn: sa.Connection, seeded: Seeded, rng: random.Random, now: datetime, span: range) -> None:
    question_ids = seeded.question_ids
    rows, resp, sugg, vecs = [], [], [], []
    for i in span:
        rid = uuid.uuid4()
        seeded.record_ids.append(rid)
        at = now + timedelta(seconds=i, microseconds=(i * 37) % 1_000_000)
        values = record_values(i, rng)
        submitted = i % 3 == 0
        rows.append(
            {
                "id": rid,
                "fields": values["fields"],
                "metadata": values["metadata"],
                "external_id": f"ext-{i}",
                "status": "completed" if submitted else "pending",
                "dataset_id": seeded.dataset_id,
                "inserted_at": at,
                "updated_at": at,
            }
        )
        if submitted:
            resp.append(
                {
                    "id": uuid.uuid4(),
                    "status": "submitted",
                    "record_id": rid,
                    "user_id": seeded.user_ids[0],
                    "values": {"rating": {"value": i % 5 + 1}, "label": {"value": "pos"}, "topics": {"value": ["pos", "neu"]}},
                    "inserted_at": at,
                    "updated_at": at,
                }
            )
        elif i % 3 == 1:
            resp.append(
                {
                    "id": uuid.uuid4(),
                    "status": "draft",
                    "record_id": rid,
                    "user_id": seeded.user_ids[1],
                    "values": {"comment": {"value": f"note {i}"}},
                    "inserted_at": at,
                    "updated_at": at,
                }
            )
        if i % 10 == 0 and i % 3 != 1:  # one response per user and record
            resp.append(
                {
                    "id": uuid.uuid4(),
                    "status": "discarded",
                    "record_id": rid,
                    "user_id": seeded.user_ids[1],
                    "values": None,
                    "inserted_at": at,
                    "updated_at": at,
                }
            )
        if i % 2 == 0:
            sugg.append(
                {
                    "id": uuid.uuid4(),
                    "value": "neg",
                    "score": 0.25,
                    "agent": "model-a",
                    "type": "model",
                    "record_id": rid,
                    "question_id": question_ids["label"],
                    "inserted_at": at,
                    "updated_at": at,
                }
            )
            vecs.append(
                {
                    "id": uuid.uuid4(),
                    "value": [rng.uniform(-1, 1) for _ in range(DIMENSIONS)],
                    "record_id": rid,
                    "vector_settings_id": seeded.vector_settings_id,
                    "inserted_at": at,
                    "updated_at": at,
                }
            )
    for table, batch in ((records, rows), (responses, resp), (suggestions, sugg), (vectors, vecs)):
        if batch:
            conn.execute(table.insert(), batch)


def expected_document(url: str, record_id: uuid.UUID, vector_settings_id: uuid.UUID) -> dict[str, Any]:
    """What Argilla 2.x indexes for a record, rebuilt here from SQL and JSON-normalised (dates as isoformat)."""
    engine = sync_engine(url)
    try:
        with engine.connect() as conn:
            rec = conn.execute(sa.select(records).where(records.c.id == record_id)).one()
            # Argilla 2.8: image left as stored, custom str() unless None, other fields null when absent
            # (tests/support/ARGILLA_FACTS.md corrects the shared fact sheet's "missing -> empty string").
            doc_fields = dict(rec.fields)
            custom = doc_fields.get("custom")
            doc_fields["custom"] = None if custom is None else str(custom)
            for name in ("text", "context", "chat"):
                doc_fields[name] = doc_fields.get(name)
            doc: dict[str, Any] = {
                "id": str(rec.id),
                "external_id": rec.external_id,
                "fields": doc_fields,
                "status": rec.status,
                "inserted_at": rec.inserted_at.isoformat(),
                "updated_at": rec.updated_at.isoformat(),
            }
            if rec.metadata:
                doc["metadata"] = {k: v for k, v in rec.metadata.items() if k in METADATA_TYPES and v is not None}
            resp = conn.execute(
                sa.select(responses).where(responses.c.record_id == record_id).order_by(responses.c.inserted_at, responses.c.id)
            ).all()
            if resp:
                doc["responses"] = [
                    {
                        "id": str(r.id),
                        "status": r.status,
                        "user_id": str(r.user_id),
                        **{q: v["value"] for q, v in (r.values or {}).items()},
                    }
                    for r in resp
                ]
            sugg = conn.execute(
                sa.select(suggestions, questions.c.name.label("question"))
                .join(questions, questions.c.id == suggestions.c.question_id)
                .where(suggestions.c.record_id == record_id)
            ).all()
            if sugg:
                doc["suggestions"] = {
                    s.question: {"type": s.type, "agent": s.agent, "score": s.score, "value": s.value} for s in sugg
                }
            vec = conn.execute(
                sa.select(vectors).where(vectors.c.record_id == record_id).order_by(vectors.c.inserted_at, vectors.c.id)
            ).all()
            if vec:
                doc["vectors"] = {str(vector_settings_id): v.value for v in vec}
            return doc
    finally:
        engine.dispose()

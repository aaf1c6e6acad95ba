"""Core tables of Argilla's 2.x schema, only the columns the maintenance jobs read (read-only, never created here)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("status", sa.String),
    sa.Column("inserted_at", sa.DateTime),
)

fields = sa.Table(
    "fields",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("settings", sa.JSON),
    sa.Column("dataset_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
)

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("settings", sa.JSON),
    sa.Column("dataset_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
)

metadata_properties = sa.Table(
    "metadata_properties",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("settings", sa.JSON),
    sa.Column("dataset_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
)

vectors_settings = sa.Table(
    "vectors_settings",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("dimensions", sa.Integer),
    sa.Column("dataset_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("fields", sa.JSON),
    sa.Column("metadata", sa.JSON),
    sa.Column("external_id", sa.String),
    sa.Column("status", sa.String),
    sa.Column("dataset_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)

responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("values", sa.JSON),
    sa.Column("status", sa.String),
    sa.Column("record_id", sa.Uuid),
    sa.Column("user_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("value", sa.JSON),
    sa.Column("score", sa.JSON),
    sa.Column("agent", sa.String),
    sa.Column("type", sa.String),
    sa.Column("record_id", sa.Uuid),
    sa.Column("question_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)

vectors = sa.Table(
    "vectors",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("value", sa.JSON),
    sa.Column("record_id", sa.Uuid),
    sa.Column("vector_settings_id", sa.Uuid),
    sa.Column("inserted_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)

workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String),
)

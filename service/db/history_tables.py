"""SQLAlchemy Core tables of our own track (created by migrations/maintenance, never by create_all)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

operations = sa.Table(
    "maint_operations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("resource", sa.String(128), nullable=False),
    sa.Column("parameters", sa.JSON(), nullable=False),
    sa.Column("from_revision", sa.String(64)),
    sa.Column("to_revision", sa.String(64)),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("started_at", sa.DateTime()),
    sa.Column("finished_at", sa.DateTime()),
    sa.Column("heartbeat_at", sa.DateTime()),
    sa.Column("duration_seconds", sa.Float()),
    sa.Column("holder", sa.String(200)),
    sa.Column("progress", sa.JSON()),
    sa.Column("steps", sa.JSON()),
    sa.Column("result", sa.JSON()),
    sa.Column("error", sa.JSON()),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("request_fingerprint", sa.String(64)),
)

locks = sa.Table(
    "maint_locks",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("operation_id", sa.String(36)),
    sa.Column("acquired_at", sa.DateTime(), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=False),
)

"""create maintenance operation history and lock tables

Revision ID: maint0001
Revises:
Create Date: 2026-11-29 04:00:00

Our own track (version table ``maint_alembic_version``): these tables are never touched by
Argilla's chain, so history survives every Argilla downgrade, even to base.
"""

import sqlalchemy as sa
from alembic import op

revision = "maint0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maint_operations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("resource", sa.String(128), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("from_revision", sa.String(64), nullable=True),
        sa.Column("to_revision", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("holder", sa.String(200), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=True),
    )
    op.create_index("ix_maint_operations_idempotency_key", "maint_operations", ["idempotency_key"], unique=True)
    op.create_table(
        "maint_locks",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("operation_id", sa.String(36), nullable=True),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("maint_locks")
    op.drop_index("ix_maint_operations_idempotency_key", table_name="maint_operations")
    op.drop_table("maint_operations")

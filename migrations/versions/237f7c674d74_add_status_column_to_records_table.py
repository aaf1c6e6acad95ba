"""add status column to records table

Revision ID: 237f7c674d74
Revises: 45a12f74448b
Create Date: 2024-06-18 17:59:36.992165

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "237f7c674d74"
down_revision = "45a12f74448b"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": [], "columns": ["records.status"], "rows": ""}


def upgrade() -> None:
    pg = op.get_context().dialect.name == "postgresql"
    if pg:
        op.execute("CREATE TYPE record_status_enum AS ENUM ('pending', 'completed')")
    status_type = postgresql.ENUM(name="record_status_enum", create_type=False) if pg else sa.String(9)
    op.add_column("records", sa.Column("status", status_type, server_default="pending", nullable=False))
    op.create_index(op.f("ix_records_status"), "records", ["status"], unique=False)
    op.execute(
        "UPDATE records SET status = 'completed' WHERE id IN "
        "(SELECT DISTINCT responses.record_id FROM responses WHERE responses.status = 'submitted')"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_records_status"), table_name="records")
    op.drop_column("records", "status")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TYPE record_status_enum")

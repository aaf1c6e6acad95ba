"""create records table

Revision ID: 8be56284dac0
Revises: 3a8e2f9b5dea
Create Date: 2023-04-13 12:56:56.206164

"""

import sqlalchemy as sa
from alembic import op

revision = "8be56284dac0"
down_revision = "3a8e2f9b5dea"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["records"], "columns": [], "rows": ""}


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_id", "dataset_id", name="record_external_id_dataset_id_uq"),
    )
    op.create_index(op.f("ix_records_dataset_id"), "records", ["dataset_id"], unique=False)
    op.create_index(op.f("ix_records_external_id"), "records", ["external_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_records_external_id"), table_name="records")
    op.drop_index(op.f("ix_records_dataset_id"), table_name="records")
    op.drop_table("records")

"""create vectors table

Revision ID: bda6fe24314e
Revises: 7850ab5b42d9
Create Date: 2023-11-13 13:01:36.218521

"""

import sqlalchemy as sa
from alembic import op

revision = "bda6fe24314e"
down_revision = "7850ab5b42d9"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["vectors"], "columns": [], "rows": ""}


def upgrade() -> None:
    op.create_table(
        "vectors",
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("vector_settings_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["vector_settings_id"], ["vectors_settings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "vector_settings_id", name="vector_record_id_vector_settings_id_uq"),
    )
    op.create_index(op.f("ix_vectors_record_id"), "vectors", ["record_id"], unique=False)
    op.create_index(op.f("ix_vectors_vector_settings_id"), "vectors", ["vector_settings_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_vectors_vector_settings_id"), table_name="vectors")
    op.drop_index(op.f("ix_vectors_record_id"), table_name="vectors")
    op.drop_table("vectors")

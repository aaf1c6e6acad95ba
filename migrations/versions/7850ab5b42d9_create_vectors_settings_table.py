"""create vectors settings table

Revision ID: 7850ab5b42d9
Revises: 84f6b9ff6076
Create Date: 2023-11-13 12:44:05.119312

"""

import sqlalchemy as sa
from alembic import op

revision = "7850ab5b42d9"
down_revision = "84f6b9ff6076"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["vectors_settings"], "columns": [], "rows": ""}


def upgrade() -> None:
    op.create_table(
        "vectors_settings",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "dataset_id", name="vector_settings_name_dataset_id_uq"),
    )
    op.create_index(op.f("ix_vectors_settings_dataset_id"), "vectors_settings", ["dataset_id"], unique=False)
    op.create_index(op.f("ix_vectors_settings_name"), "vectors_settings", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_vectors_settings_name"), table_name="vectors_settings")
    op.drop_index(op.f("ix_vectors_settings_dataset_id"), table_name="vectors_settings")
    op.drop_table("vectors_settings")

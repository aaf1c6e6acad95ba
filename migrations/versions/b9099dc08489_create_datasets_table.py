"""create datasets table

Revision ID: b9099dc08489
Revises: 1769ee58fbb4
Create Date: 2023-03-29 17:26:25.036432

"""

import sqlalchemy as sa
from alembic import op

revision = "b9099dc08489"
down_revision = "1769ee58fbb4"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["datasets"], "columns": [], "rows": ""}


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("guidelines", sa.Text(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "workspace_id", name="dataset_name_workspace_id_uq"),
    )
    op.create_index(op.f("ix_datasets_name"), "datasets", ["name"], unique=False)
    op.create_index(op.f("ix_datasets_status"), "datasets", ["status"], unique=False)
    op.create_index(op.f("ix_datasets_workspace_id"), "datasets", ["workspace_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_datasets_workspace_id"), table_name="datasets")
    op.drop_index(op.f("ix_datasets_status"), table_name="datasets")
    op.drop_index(op.f("ix_datasets_name"), table_name="datasets")
    op.drop_table("datasets")

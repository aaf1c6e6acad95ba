"""add distribution column to datasets table

Revision ID: 45a12f74448b
Revises: d00f819ccc67
Create Date: 2024-06-13 11:23:43.395093

"""

import sqlalchemy as sa
from alembic import op

revision = "45a12f74448b"
down_revision = "d00f819ccc67"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": [], "columns": ["datasets.distribution"], "rows": ""}
DISTRIBUTION_DEFAULT = '{"strategy": "overlap", "min_submitted": 1}'


def datasets_table() -> sa.Table:
    """``datasets`` on SQLite after this revision (distribution NOT NULL)."""
    return sa.Table(
        "datasets",
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("guidelines", sa.Text(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("allow_extra_metadata", sa.Boolean(), server_default=sa.text("(1)"), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(), nullable=False),
        sa.Column("distribution", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "workspace_id", name="dataset_name_workspace_id_uq"),
        sa.Index("ix_datasets_name", "name"),
        sa.Index("ix_datasets_status", "status"),
        sa.Index("ix_datasets_workspace_id", "workspace_id"),
    )


def upgrade() -> None:
    op.add_column("datasets", sa.Column("distribution", sa.JSON(), nullable=True))
    op.execute(f"UPDATE datasets SET distribution = '{DISTRIBUTION_DEFAULT}'")
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("datasets", copy_from=datasets_table(), recreate="always"):
            pass
    else:
        op.alter_column("datasets", "distribution", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    op.drop_column("datasets", "distribution")

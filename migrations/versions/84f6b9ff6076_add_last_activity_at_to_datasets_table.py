"""add last_activity_at to datasets table

Revision ID: 84f6b9ff6076
Revises: b8458008b60e
Create Date: 2023-10-11 11:55:41.138426

"""

import sqlalchemy as sa
from alembic import op

revision = "84f6b9ff6076"
down_revision = "b8458008b60e"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": [], "columns": ["datasets.last_activity_at"], "rows": ""}


def datasets_table(last_activity_nullable: bool) -> sa.Table:
    """``datasets`` on SQLite as it stands at this revision (a rebuild recreates it from this)."""
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
        sa.Column("last_activity_at", sa.DateTime(), nullable=last_activity_nullable),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "workspace_id", name="dataset_name_workspace_id_uq"),
        sa.Index("ix_datasets_name", "name"),
        sa.Index("ix_datasets_status", "status"),
        sa.Index("ix_datasets_workspace_id", "workspace_id"),
    )


def upgrade() -> None:
    op.add_column("datasets", sa.Column("last_activity_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE datasets SET last_activity_at = updated_at")
    if op.get_context().dialect.name == "sqlite":
        # Table rebuild; the service runs it with foreign keys off, so no cascade empties child tables.
        with op.batch_alter_table("datasets", copy_from=datasets_table(False), recreate="always"):
            pass
    else:
        op.alter_column("datasets", "last_activity_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    op.drop_column("datasets", "last_activity_at")

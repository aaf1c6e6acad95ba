"""create workspaces_users table

Revision ID: 1769ee58fbb4
Revises: 82a5a88a3fa5
Create Date: 2023-02-14 10:36:56.313539

"""

import sqlalchemy as sa
from alembic import op

revision = "1769ee58fbb4"
down_revision = "82a5a88a3fa5"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["workspaces_users"], "columns": [], "rows": ""}


def upgrade() -> None:
    op.create_table(
        "workspaces_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "user_id", name="workspace_id_user_id_uq"),
    )
    op.create_index(op.f("ix_workspaces_users_user_id"), "workspaces_users", ["user_id"], unique=False)
    op.create_index(op.f("ix_workspaces_users_workspace_id"), "workspaces_users", ["workspace_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_workspaces_users_workspace_id"), table_name="workspaces_users")
    op.drop_index(op.f("ix_workspaces_users_user_id"), table_name="workspaces_users")
    op.drop_table("workspaces_users")

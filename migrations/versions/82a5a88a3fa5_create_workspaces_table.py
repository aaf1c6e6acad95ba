"""create workspaces table

Revision ID: 82a5a88a3fa5
Revises: 74694870197c
Create Date: 2023-02-13 18:00:04.491245

"""

import sqlalchemy as sa
from alembic import op

revision = "82a5a88a3fa5"
down_revision = "74694870197c"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["workspaces"], "columns": [], "rows": ""}


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_workspaces_name"), "workspaces", ["name"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_workspaces_name"), table_name="workspaces")
    op.drop_table("workspaces")

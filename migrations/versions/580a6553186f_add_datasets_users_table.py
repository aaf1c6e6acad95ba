"""add datasets_users table

Revision ID: 580a6553186f
Revises: 6ed1b8bf8e08
Create Date: 2024-10-31 12:03:29.410133

"""

import sqlalchemy as sa
from alembic import op

revision = "580a6553186f"
down_revision = "6ed1b8bf8e08"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["datasets_users"], "columns": [], "rows": ""}

BACKFILL = (
    "INSERT INTO datasets_users (dataset_id, user_id, inserted_at, updated_at) "
    "SELECT dataset_id, user_id, {now}, {now} FROM "
    "(SELECT DISTINCT records.dataset_id, responses.user_id FROM responses "
    "JOIN records ON responses.record_id = records.id) AS subquery"
)


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"unsupported database dialect {dialect!r}: only sqlite and postgresql")
    op.create_table(
        "datasets_users",
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dataset_id", "user_id"),
    )
    op.create_index(op.f("ix_datasets_users_dataset_id"), "datasets_users", ["dataset_id"], unique=False)
    op.create_index(op.f("ix_datasets_users_user_id"), "datasets_users", ["user_id"], unique=False)
    op.execute(BACKFILL.format(now="NOW()" if dialect == "postgresql" else "datetime('now')"))


def downgrade() -> None:
    op.drop_index(op.f("ix_datasets_users_user_id"), table_name="datasets_users")
    op.drop_index(op.f("ix_datasets_users_dataset_id"), table_name="datasets_users")
    op.drop_table("datasets_users")

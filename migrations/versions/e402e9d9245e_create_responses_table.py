"""create responses table

Revision ID: e402e9d9245e
Revises: 8be56284dac0
Create Date: 2023-04-13 14:48:52.361717

"""

import sqlalchemy as sa
from alembic import op

revision = "e402e9d9245e"
down_revision = "8be56284dac0"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["responses"], "columns": [], "rows": ""}


def upgrade() -> None:
    op.create_table(
        "responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "user_id", name="response_record_id_user_id_uq"),
    )
    op.create_index(op.f("ix_responses_record_id"), "responses", ["record_id"], unique=False)
    op.create_index(op.f("ix_responses_status"), "responses", ["status"], unique=False)
    op.create_index(op.f("ix_responses_user_id"), "responses", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_responses_user_id"), table_name="responses")
    op.drop_index(op.f("ix_responses_status"), table_name="responses")
    op.drop_index(op.f("ix_responses_record_id"), table_name="responses")
    op.drop_table("responses")

"""create suggestions table

Revision ID: 3fc3c0839959
Revises: 8c574ada5e5f
Create Date: 2023-06-27 17:34:49.343124

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "3fc3c0839959"
down_revision = "8c574ada5e5f"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["suggestions"], "columns": [], "rows": ""}


def upgrade() -> None:
    pg = op.get_context().dialect.name == "postgresql"
    if pg:
        # The column's Enum had no labels in Argilla, so the type starts empty; 1e629a913727 fills it.
        op.execute("CREATE TYPE suggestion_type_enum AS ENUM ()")
    type_column = postgresql.ENUM(name="suggestion_type_enum", create_type=False) if pg else sa.String()
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("type", type_column, nullable=True),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "question_id", name="suggestion_record_id_question_id_uq"),
    )
    op.create_index(op.f("ix_suggestions_question_id"), "suggestions", ["question_id"], unique=False)
    op.create_index(op.f("ix_suggestions_record_id"), "suggestions", ["record_id"], unique=False)
    op.create_index(op.f("ix_suggestions_type"), "suggestions", ["type"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_suggestions_type"), table_name="suggestions")
    op.drop_index(op.f("ix_suggestions_record_id"), table_name="suggestions")
    op.drop_index(op.f("ix_suggestions_question_id"), table_name="suggestions")
    op.drop_table("suggestions")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TYPE suggestion_type_enum")

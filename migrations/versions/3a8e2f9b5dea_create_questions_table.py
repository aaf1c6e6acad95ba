"""create questions table

Revision ID: 3a8e2f9b5dea
Revises: b9099dc08489
Create Date: 2023-04-03 17:24:53.218324

"""

import sqlalchemy as sa
from alembic import op

revision = "3a8e2f9b5dea"
down_revision = "b9099dc08489"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["questions"], "columns": [], "rows": ""}


def _false() -> sa.ClauseElement:
    # Argilla's era rendered this default as DEFAULT (0) on SQLite and DEFAULT false on PostgreSQL.
    return sa.text("(0)") if op.get_context().dialect.name == "sqlite" else sa.false()


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("required", sa.Boolean(), server_default=_false(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "dataset_id", name="question_name_dataset_id_uq"),
    )
    op.create_index(op.f("ix_questions_dataset_id"), "questions", ["dataset_id"], unique=False)
    op.create_index(op.f("ix_questions_name"), "questions", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_questions_name"), table_name="questions")
    op.drop_index(op.f("ix_questions_dataset_id"), table_name="questions")
    op.drop_table("questions")

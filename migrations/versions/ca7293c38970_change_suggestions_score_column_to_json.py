"""change suggestions score column to json

Revision ID: ca7293c38970
Revises: bda6fe24314e
Create Date: 2024-03-06 13:19:45.462311

"""

import sqlalchemy as sa
from alembic import op

revision = "ca7293c38970"
down_revision = "bda6fe24314e"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {
    "tables": [],
    "columns": [],
    "rows": "suggestions.score keeps only numeric scores (list scores become NULL)",
}


def suggestions_table(score_type: sa.types.TypeEngine[object]) -> sa.Table:
    """``suggestions`` on SQLite at this revision, with ``score`` of the given type."""
    return sa.Table(
        "suggestions",
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("score", score_type, nullable=True),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("type", sa.String(), nullable=True),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "question_id", name="suggestion_record_id_question_id_uq"),
        sa.Index("ix_suggestions_question_id", "question_id"),
        sa.Index("ix_suggestions_record_id", "record_id"),
        sa.Index("ix_suggestions_type", "type"),
    )


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("suggestions", copy_from=suggestions_table(sa.JSON()), recreate="always"):
            pass
        # The copy keeps REAL values; store them as JSON text like every other JSON column.
        op.execute("UPDATE suggestions SET score = json(score) WHERE score IS NOT NULL")
        op.execute("UPDATE suggestions SET score = NULL WHERE json_type(value) = 'array'")
    else:
        op.execute("ALTER TABLE suggestions ALTER COLUMN score TYPE JSON USING to_json(score)")
        op.execute("UPDATE suggestions SET score = NULL WHERE json_typeof(value) = 'array'")


def downgrade() -> None:
    op.add_column("suggestions", sa.Column("score_float", sa.Float(), nullable=True))
    if op.get_context().dialect.name == "sqlite":
        # Argilla copies only JSON type 'real'; integer-typed scores are numbers too.
        op.execute(
            "UPDATE suggestions SET score_float = CAST(json_extract(score, '$') AS REAL) "
            "WHERE json_valid(score) AND json_type(score) IN ('real', 'integer')"
        )
    else:
        op.execute("UPDATE suggestions SET score_float = (score::text)::double precision WHERE json_typeof(score) = 'number'")
    op.drop_column("suggestions", "score")
    op.execute("ALTER TABLE suggestions RENAME COLUMN score_float TO score")

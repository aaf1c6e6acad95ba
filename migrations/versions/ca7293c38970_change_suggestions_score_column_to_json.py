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
    "rows": "suggestions.score keeps only numeric scores; any other JSON score (e.g. a list) becomes NULL",
}
# Not a row deletion, but data the upgrade discards (Argilla does the same).
UPGRADE_DELETES = "suggestions.score of every suggestion whose value is a JSON list (set to NULL)"


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
        # Rebuild with score declared JSON; stored numbers stay numbers, which JSON reads back as is.
        with op.batch_alter_table("suggestions", copy_from=suggestions_table(sa.JSON()), recreate="always"):
            pass
        op.execute("UPDATE suggestions SET score = NULL WHERE json_type(value) = 'array'")
    else:
        # Argilla converts, then clears list-valued suggestions' scores in a second pass over the table; the
        # conversion's own rewrite can do both (same rows: NULL where the value is a JSON list).
        op.execute(
            "ALTER TABLE suggestions ALTER COLUMN score TYPE JSON USING "
            "CASE WHEN json_typeof(value) = 'array' THEN NULL ELSE to_json(score) END"
        )


def downgrade() -> None:
    # Argilla adds score_float, copies, drops score and renames, which moves score to the end of the
    # table; converting in place keeps the column where it was. Numbers survive (Argilla's SQLite
    # copy keeps only JSON type 'real'; integer-typed scores are numbers too), anything else is NULL.
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "UPDATE suggestions SET score = CASE WHEN json_valid(score) THEN "
            "CASE WHEN json_type(score) IN ('real', 'integer') THEN json_extract(score, '$') END END "
            "WHERE score IS NOT NULL"
        )
        with op.batch_alter_table("suggestions", copy_from=suggestions_table(sa.Float()), recreate="always"):
            pass
    else:
        op.execute(
            "ALTER TABLE suggestions ALTER COLUMN score TYPE DOUBLE PRECISION USING "
            "CASE WHEN json_typeof(score) = 'number' THEN (score::text)::double precision END"
        )

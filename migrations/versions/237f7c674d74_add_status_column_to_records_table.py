"""add status column to records table

Revision ID: 237f7c674d74
Revises: 45a12f74448b
Create Date: 2024-06-18 17:59:36.992165

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "237f7c674d74"
down_revision = "45a12f74448b"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": [], "columns": ["records.status"], "rows": ""}


SUBMITTED = "SELECT DISTINCT responses.record_id FROM responses WHERE responses.status = 'submitted'"


def upgrade() -> None:
    pg = op.get_context().dialect.name == "postgresql"
    if pg:
        op.execute("CREATE TYPE record_status_enum AS ENUM ('pending', 'completed')")
    if pg and not op.get_context().as_sql and _mostly_completed():
        _add_status_writing_pending_rows()
    else:
        status_type = postgresql.ENUM(name="record_status_enum", create_type=False) if pg else sa.String(9)
        op.add_column("records", sa.Column("status", status_type, server_default="pending", nullable=False))
        op.execute(f"UPDATE records SET status = 'completed' WHERE id IN ({SUBMITTED})")
    # Built after the back-fill, not before as Argilla does: one sort instead of maintaining it row by row.
    op.create_index(op.f("ix_records_status"), "records", ["status"], unique=False)


def _mostly_completed() -> bool:
    """Whether most records have a submitted response (one read-only pass, far cheaper than the updates it saves)."""
    completed, total = (
        op.get_bind().execute(sa.text(f"SELECT count(*) FILTER (WHERE id IN ({SUBMITTED})), count(*) FROM records")).one()
    )
    return bool(2 * completed > total)


def _add_status_writing_pending_rows() -> None:
    """Same rows and schema as Argilla's add-then-update, writing the minority instead of the completed majority.

    PostgreSQL stores an added column's constant default once in the catalog, so every existing row reads
    'completed' without being rewritten; only records without a submitted response are then updated, and
    the column's default becomes Argilla's 'pending' for new rows.
    """
    op.execute("ALTER TABLE records ADD COLUMN status record_status_enum DEFAULT 'completed' NOT NULL")
    op.execute(
        "UPDATE records SET status = 'pending' WHERE NOT EXISTS "
        "(SELECT 1 FROM responses WHERE responses.record_id = records.id AND responses.status = 'submitted')"
    )
    op.execute("ALTER TABLE records ALTER COLUMN status SET DEFAULT 'pending'")


def downgrade() -> None:
    op.drop_index(op.f("ix_records_status"), table_name="records")
    op.drop_column("records", "status")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TYPE record_status_enum")

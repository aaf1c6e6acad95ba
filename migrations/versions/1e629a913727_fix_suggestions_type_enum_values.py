"""fix suggestions type enum values

Revision ID: 1e629a913727
Revises: 3fc3c0839959
Create Date: 2023-07-24 12:47:11.715011

"""

from alembic import op

revision = "1e629a913727"
down_revision = "3fc3c0839959"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {
    "tables": [],
    "columns": [],
    "rows": "PostgreSQL: suggestions.type is set to NULL (the enum goes back to having no labels)",
}


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TYPE suggestion_type_enum ADD VALUE IF NOT EXISTS 'model'")
    op.execute("ALTER TYPE suggestion_type_enum ADD VALUE IF NOT EXISTS 'human'")


def downgrade() -> None:
    # Argilla leaves the labels behind; a true inverse rebuilds the empty enum of 3fc3c0839959.
    # No value can exist in an empty enum, so the column's values are cleared first.
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE suggestions ALTER COLUMN type TYPE VARCHAR USING NULL")
    op.execute("DROP TYPE suggestion_type_enum")
    op.execute("CREATE TYPE suggestion_type_enum AS ENUM ()")
    op.execute("ALTER TABLE suggestions ALTER COLUMN type TYPE suggestion_type_enum USING NULL")

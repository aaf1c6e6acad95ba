"""update_enum_columns

Revision ID: 8c574ada5e5f
Revises: 3ff6484f8b37
Create Date: 2023-06-23 15:55:19.427366

PostgreSQL only: status and role columns become native enums. SQLite keeps plain VARCHAR columns.
"""

from alembic import op

revision = "8c574ada5e5f"
down_revision = "3ff6484f8b37"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": [], "columns": [], "rows": ""}

# (table, column, enum type, labels in order), in the order Argilla converts them.
ENUM_COLUMNS = (
    ("responses", "status", "response_status_enum", ("draft", "submitted", "discarded")),
    ("datasets", "status", "dataset_status_enum", ("draft", "ready")),
    ("users", "role", "user_role_enum", ("owner", "admin", "annotator")),
)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, column, enum, labels in ENUM_COLUMNS:
        quoted = ", ".join(f"'{label}'" for label in labels)
        op.execute(f"CREATE TYPE {enum} AS ENUM ({quoted})")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {enum} USING {column}::text::{enum}")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, column, enum, _labels in reversed(ENUM_COLUMNS):
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR USING {column}::text")
        op.execute(f"DROP TYPE {enum}")

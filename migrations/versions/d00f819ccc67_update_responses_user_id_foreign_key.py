"""update responses user_id foreign key

Revision ID: d00f819ccc67
Revises: ca7293c38970
Create Date: 2024-07-01 15:58:44.112381

"""

import sqlalchemy as sa
from alembic import op

revision = "d00f819ccc67"
down_revision = "ca7293c38970"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": [], "columns": [], "rows": ""}
UPGRADE_DELETES = "responses whose user_id is NULL (their user was deleted)"


def responses_table(*, named: bool) -> sa.Table:
    """``responses`` on SQLite: after this revision (named FKs, user_id NOT NULL, CASCADE) or before it."""
    return sa.Table(
        "responses",
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=not named),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], ondelete="CASCADE", name="responses_record_id_fkey" if named else None
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE" if named else "SET NULL",
            name="responses_user_id_fkey" if named else None,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "user_id", name="response_record_id_user_id_uq"),
        sa.Index("ix_responses_record_id", "record_id"),
        sa.Index("ix_responses_status", "status"),
        sa.Index("ix_responses_user_id", "user_id"),
    )


def upgrade() -> None:
    op.execute("DELETE FROM responses WHERE user_id IS NULL")
    if op.get_context().dialect.name == "sqlite":
        # Argilla's batch run names both foreign keys; the rebuild reproduces that.
        with op.batch_alter_table("responses", copy_from=responses_table(named=True), recreate="always"):
            pass
        return
    op.alter_column("responses", "user_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_constraint("responses_user_id_fkey", "responses", type_="foreignkey")
    op.create_foreign_key("responses_user_id_fkey", "responses", "users", ["user_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        # Argilla's downgrade leaves the names behind; rebuilding from the old definition does not.
        with op.batch_alter_table("responses", copy_from=responses_table(named=False), recreate="always"):
            pass
        return
    op.drop_constraint("responses_user_id_fkey", "responses", type_="foreignkey")
    op.create_foreign_key("responses_user_id_fkey", "responses", "users", ["user_id"], ["id"], ondelete="SET NULL")
    op.alter_column("responses", "user_id", existing_type=sa.Uuid(), nullable=True)

"""create fields table

Revision ID: ae5522b4c674
Revises: e402e9d9245e
Create Date: 2023-04-21 16:10:27.360209

"""

import sqlalchemy as sa
from alembic import op

revision = "ae5522b4c674"
down_revision = "e402e9d9245e"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": ["fields"], "columns": [], "rows": ""}


def _false() -> sa.ClauseElement:
    return sa.text("(0)") if op.get_context().dialect.name == "sqlite" else sa.false()


def upgrade() -> None:
    op.create_table(
        "fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=_false(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("inserted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "dataset_id", name="field_name_dataset_id_uq"),
    )
    op.create_index(op.f("ix_fields_dataset_id"), "fields", ["dataset_id"], unique=False)
    op.create_index(op.f("ix_fields_name"), "fields", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_fields_name"), table_name="fields")
    op.drop_index(op.f("ix_fields_dataset_id"), table_name="fields")
    op.drop_table("fields")

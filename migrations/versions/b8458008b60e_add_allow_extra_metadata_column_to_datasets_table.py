"""add allow_extra_metadata column to datasets table

Revision ID: b8458008b60e
Revises: 7cbcccf8b57a
Create Date: 2023-10-09 12:00:03.201523

"""

import sqlalchemy as sa
from alembic import op

revision = "b8458008b60e"
down_revision = "7cbcccf8b57a"
branch_labels = None
depends_on = None

DOWNGRADE_DROPS = {"tables": [], "columns": ["datasets.allow_extra_metadata"], "rows": ""}


def upgrade() -> None:
    default = sa.text("(1)") if op.get_context().dialect.name == "sqlite" else sa.true()
    op.add_column("datasets", sa.Column("allow_extra_metadata", sa.Boolean(), server_default=default, nullable=False))


def downgrade() -> None:
    op.drop_column("datasets", "allow_extra_metadata")

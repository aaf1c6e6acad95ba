"""Row counts of the tables and columns a downgrade would drop (shown in its plan before anything runs)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.errors import translated


@translated
async def count_dropped(engine: AsyncEngine, tables: Sequence[str], columns: Sequence[str]) -> tuple[list[int], list[int]]:
    """Rows of each table, and non-null values of each ``table.column``, in the order given."""
    async with engine.connect() as conn:
        table_rows = [await _count(conn, table) for table in tables]
        column_values = [await _count(conn, *qualified.split(".", 1)) for qualified in columns]
    return table_rows, column_values


async def _count(conn: AsyncConnection, table: str, column: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(sa.table(table))
    if column is not None:
        query = query.where(sa.column(column).is_not(None))
    return int((await conn.execute(query)).scalar_one())

"""The anchor of bench/api.py: a minimal Litestar app whose one endpoint reads one row from the database.

It is what "framework speed" means in that benchmark: the same framework, server settings, driver and pool
sizes as ``argilla-maint serve``, and nothing else (no guard, no middleware, no logging).

Usage: python bench/anchor_api.py DATABASE_URL PORT
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from litestar import Litestar, get
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.db.urls import async_url

QUERY = sa.text("SELECT version_num FROM alembic_version")


def create_anchor(database_url: str) -> Litestar:
    url = async_url(database_url)
    pool = {} if url.get_backend_name() == "sqlite" else {"pool_size": 15, "max_overflow": 10}
    engines: list[AsyncEngine] = []

    @contextlib.asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        engines.append(create_async_engine(url, **pool))
        try:
            yield
        finally:
            await engines.pop().dispose()

    @get("/row")
    async def row() -> dict[str, str | None]:
        async with engines[0].connect() as conn:
            found = (await conn.execute(QUERY)).first()
        return {"version_num": found[0] if found else None}

    @get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[row, livez], lifespan=[lifespan], logging_config=None, debug=False)


def main() -> None:
    database_url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        create_anchor(database_url),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()

"""Shared Alembic environment for both tracks: Argilla's schema and our maintenance tables.

The service runs Alembic inside ``AsyncConnection.run_sync`` and hands the synchronous connection
over through ``Config.attributes["connection"]``; dry runs use offline mode with
``Config.attributes["dialect_name"]``. Running the ``alembic`` command by hand still works: without
a connection, a NullPool engine is made from ``sqlalchemy.url`` (or ``ARGILLA_DATABASE_URL``).
"""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import create_engine, make_url, pool


def run_migrations() -> None:
    """Configure the Alembic context from the config attributes and run the pending steps."""
    config = context.config
    attributes: dict[str, Any] = config.attributes
    options: dict[str, Any] = {
        "version_table": attributes.get("version_table", "alembic_version"),
        "target_metadata": None,
    }
    if attributes.get("on_version_apply") is not None:
        options["on_version_apply"] = attributes["on_version_apply"]

    if context.is_offline_mode():
        context.configure(
            dialect_name=attributes.get("dialect_name", "sqlite"),
            literal_binds=True,
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    url = config.get_main_option("sqlalchemy.url") or os.environ.get("ARGILLA_DATABASE_URL")
    if not url:
        raise RuntimeError("no connection given and neither sqlalchemy.url nor ARGILLA_DATABASE_URL is set")
    sync_url = make_url(url)
    driver = "postgresql+psycopg2" if sync_url.get_backend_name() == "postgresql" else "sqlite"
    engine = create_engine(sync_url.set(drivername=driver), poolclass=pool.NullPool)
    with engine.connect() as hand_connection:
        context.configure(connection=hand_connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        hand_connection.commit()

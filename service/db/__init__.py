"""Persistence layer: engines, Argilla's tables, our history tables, the Alembic bridge and locks."""

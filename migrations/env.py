"""Alembic entry point for this track; the shared logic lives in migrations/environment.py."""

from migrations.environment import run_migrations

run_migrations()

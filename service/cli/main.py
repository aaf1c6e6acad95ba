"""``argilla-maint``: database revisions and migrate, operation history, and the HTTP server."""

from __future__ import annotations

import asyncio
import functools
import getpass
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import msgspec

from service.cli import render
from service.core.config import Settings, load_settings
from service.core.errors import DowngradeNotAllowed, MaintenanceError
from service.core.logging import configure_logging
from service.ops.context import Resources
from service.ops.migrate import migrate
from service.ops.operations import get_operation, list_operations
from service.ops.results import MigrateRequest
from service.ops.revisions import list_revisions
from service.runtime import open_resources

T = TypeVar("T")


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def run_with_resources(work: Callable[[Resources], Awaitable[T]]) -> T:
    """Load settings, open resources, run ``work``; domain errors become one ``Error:`` line and exit 1."""
    debug = bool(click.get_current_context().find_root().params.get("debug"))
    try:
        settings = load_settings()
        configure_logging(settings.log_level)

        async def main() -> T:
            async with open_resources(settings) as resources:
                return await work(resources)

        return asyncio.run(main())
    except MaintenanceError as exc:
        if debug:
            traceback.print_exc()
        if isinstance(exc, DowngradeNotAllowed) and "plan" in exc.extra:
            from service.ops.results import MigrationPlan

            click.echo(render.plan_text(msgspec.convert(exc.extra["plan"], MigrationPlan)), err=True)
        click.echo(f"Error: {exc.detail}", err=True)
        sys.exit(1)


def json_out(value: Any) -> None:
    click.echo(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Maintenance of Argilla deployments: schema migrations, history, reindexing."""


@cli.group()
def database() -> None:
    """Argilla's SQL schema: revisions and migrations (ARGILLA_DATABASE_URL)."""


@database.command("revisions")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (same shape as GET /revisions).")
def revisions_command(as_json: bool) -> None:
    """List release tags, the Alembic chain and the database's current revision."""
    result = run_with_resources(list_revisions)
    json_out(result) if as_json else click.echo(render.revisions_text(result))


@database.command("migrate")
@click.option("--revision", "-r", default="head", show_default=True,
              help="head, base, a release tag (e.g. 2.0) or a revision id / unique prefix.")
@click.option("--dry-run", is_flag=True, help="Print the plan and the SQL; change nothing.")
@click.option("--allow-downgrade", is_flag=True, help="Allow going back to an older revision (may drop data).")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds to wait for a running migration (default: ARGILLA_MAINT_LOCK_TIMEOUT, 0 = fail fast).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def migrate_command(revision: str, dry_run: bool, allow_downgrade: bool, lock_timeout: float | None, as_json: bool) -> None:
    """Upgrade (or, with --allow-downgrade, downgrade) the database to a revision or release tag."""
    request = MigrateRequest(revision=revision, dry_run=dry_run, allow_downgrade=allow_downgrade)
    result = run_with_resources(functools.partial(_migrate, request=request, lock_timeout=lock_timeout))
    if as_json:
        json_out(result)
        return
    click.echo(render.plan_text(result.plan))
    if dry_run:
        click.echo("\n-- SQL (dry run, nothing was changed)\n" + (result.sql or "-- no statements"))
        return
    for step in result.operation.steps or []:
        click.echo(f"  done {step['direction']:<9} {step['revision']}  {step['seconds']:.3f}s")
    click.echo(f"Operation {result.operation.id} {result.operation.status} in {result.operation.duration_seconds or 0:.2f}s")


async def _migrate(resources: Resources, *, request: MigrateRequest, lock_timeout: float | None) -> Any:
    return await migrate(resources, cli_actor(), request, lock_timeout=lock_timeout)


@cli.group()
def operations() -> None:
    """Operation history recorded in SQL."""


@operations.command("list")
@click.option("--kind", default=None, help="Filter by kind (migrate, reindex, ...).")
@click.option("--status", default=None, help="Filter by status (queued, running, succeeded, failed, interrupted).")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.option("--json", "as_json", is_flag=True)
def operations_list(kind: str | None, status: str | None, limit: int, offset: int, as_json: bool) -> None:
    """Newest first."""
    page = run_with_resources(lambda r: list_operations(r, kind=kind, status=status, limit=limit, offset=offset))
    if as_json:
        json_out(page)
        return
    for op in page.items:
        click.echo(render.operation_line(op))
    click.echo(f"({len(page.items)} of {page.total})")


@operations.command("show")
@click.argument("operation_id")
@click.option("--json", "as_json", is_flag=True)
def operations_show(operation_id: str, as_json: bool) -> None:
    """One operation with its steps, result or error."""
    op = run_with_resources(lambda r: get_operation(r, operation_id))
    json_out(op) if as_json else click.echo(render.operation_text(op))


def main() -> None:
    cli(prog_name="argilla-maint")


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except MaintenanceError as exc:
        click.echo(f"Error: {exc.detail}", err=True)
        sys.exit(1)

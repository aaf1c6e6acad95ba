"""``argilla-maint``: database revisions and migrate, operation history, and the HTTP server."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import getpass
import secrets
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import click
import msgspec

from service.cli import exit_codes, render
from service.cli.interrupts import Interrupted, run_interruptible
from service.core.config import Settings, TokenEntry, load_settings, token_digest
from service.core.errors import DowngradeNotAllowed, MaintenanceError
from service.core.logging import configure_logging, forward_stdlib
from service.core.secrets import mask_text
from service.ops.context import Resources
from service.ops.migrate import migrate
from service.ops.operations import get_operation, list_operations
from service.ops.results import MigrateRequest, StepProgress
from service.ops.revisions import list_revisions

T = TypeVar("T")


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


# Deployment automation names itself in the history (the Helm hook passes helm:<release>:<revision>).
ACTOR_OPTION = click.option(
    "--actor", default=None, metavar="NAME", help="Actor recorded in the operation history (default: cli:<user>)."
)


def run_with_resources(work: Callable[[Resources], Awaitable[T]]) -> T:
    """Load settings, open resources, run ``work``; domain errors become one ``Error:`` line and an exit code
    from ``exit_codes`` (final or transient); SIGTERM/Ctrl-C roll back and say what happened to the database."""
    debug = bool(click.get_current_context().find_root().params.get("debug"))
    secrets_seen: tuple[str, ...] = ()
    try:
        settings = load_settings()
        secrets_seen = settings.secrets
        configure_logging(settings.log_level or "WARNING", secrets=settings.secrets)
        return asyncio.run(run_interruptible(settings, work))
    except Interrupted as stop:
        click.echo(mask_text(stop.line, secrets_seen), err=True)
        sys.exit(exit_codes.INTERRUPTED)
    except MaintenanceError as exc:
        if debug:
            traceback.print_exc()
        if isinstance(exc, DowngradeNotAllowed) and "plan" in exc.extra:
            from service.ops.results import MigrationPlan

            click.echo(render.plan_text(msgspec.convert(exc.extra["plan"], MigrationPlan)), err=True)
        click.echo(f"Error: {mask_text(exc.detail, secrets_seen)}", err=True)
        sys.exit(exit_codes.for_error(exc))


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
@click.option(
    "--revision",
    "-r",
    default="head",
    show_default=True,
    help="head, base, a release tag (e.g. 2.0) or a revision id / unique prefix.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and the SQL; change nothing.")
@click.option("--allow-downgrade", is_flag=True, help="Allow going back to an older revision (may drop data).")
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to wait for a running migration (default: ARGILLA_MAINT_LOCK_TIMEOUT, 0 = fail fast).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@ACTOR_OPTION
def migrate_command(
    revision: str, dry_run: bool, allow_downgrade: bool, lock_timeout: float | None, as_json: bool, actor: str | None
) -> None:
    """Upgrade (or, with --allow-downgrade, downgrade) the database to a revision or release tag."""
    request = MigrateRequest(revision=revision, dry_run=dry_run, allow_downgrade=allow_downgrade)
    result = run_with_resources(
        functools.partial(_migrate, request=request, lock_timeout=lock_timeout, actor=actor or cli_actor(), quiet=as_json)
    )
    if as_json:
        json_out(result)
        return
    if dry_run or not result.plan.steps:
        click.echo(render.plan_text(result.plan))
    else:  # the steps were shown live, under the header printed as the first one started
        click.echo(render.plan_text(result.plan).splitlines()[0].replace("Plan: ", "Done: ", 1))
    if dry_run:
        click.echo("\n-- SQL (dry run, nothing was changed)\n" + (result.sql or "-- no statements"))
        return
    click.echo(f"Operation {result.operation.id} {result.operation.status} in {result.operation.duration_seconds or 0:.2f}s")


async def _migrate(resources: Resources, *, request: MigrateRequest, lock_timeout: float | None, actor: str, quiet: bool) -> Any:
    def on_progress(event: StepProgress) -> None:
        if quiet:
            return
        if event.event == "started" and event.step == 1:
            click.echo(f"Migrating: {event.direction}, {event.steps} step(s)")
        click.echo(render.step_line(event))

    return await migrate(resources, actor, request, lock_timeout=lock_timeout, on_progress=on_progress)


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


# The CLI names the app by its import string, as uvicorn does: app and cli are independent layers.
APP_FACTORY = "service.app:create_app"
OPENAPI_RENDERER = "service.http.openapi:render"


def _app_factory() -> Callable[[Settings], Any]:
    from uvicorn.importer import import_from_string

    return cast(Callable[[Settings], Any], import_from_string(APP_FACTORY))


@cli.command("serve")
@click.option("--host", default=None, help="Interface to bind (default: ARGILLA_MAINT_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: ARGILLA_MAINT_PORT or 6910).")
@click.option("--dev", is_flag=True, help="Make a random admin token for this run and print it once.")
def serve_command(host: str | None, port: int | None, dev: bool) -> None:
    """Run the HTTP maintenance API with uvicorn."""
    import uvicorn

    settings = settings_or_exit()
    if dev:
        token = secrets.token_urlsafe(32)
        settings = dataclasses.replace(settings, tokens=(*settings.tokens, TokenEntry("dev", token_digest(token))))
        click.echo(f"Development admin token (shown once): {token}")
    configure_logging(settings.log_level or "INFO", secrets=settings.secrets)
    forward_stdlib("uvicorn.error")  # its start-up lines, "Uvicorn running on http://...", and its errors
    try:
        app = _app_factory()(settings)
    except MaintenanceError as exc:
        click.echo(f"Error: {exc.detail}", err=True)
        sys.exit(exit_codes.for_error(exc))
    # uvicorn re-raises SIGTERM after its graceful shutdown; by then stopping is the expected, clean outcome.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(0))
    from service.cli.serving import protocol_with_header_timeout

    uvicorn.run(
        app,
        http=protocol_with_header_timeout(settings.header_timeout),
        host=host or settings.host,
        port=settings.port if port is None else port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
    )


@cli.command("openapi")
def openapi_command() -> None:
    """Print the API description (what openapi/openapi.json holds)."""
    from uvicorn.importer import import_from_string

    settings = dataclasses.replace(settings_or_exit(), tokens=(TokenEntry("spec", token_digest(secrets.token_hex(16))),))
    click.echo(import_from_string(OPENAPI_RENDERER)(_app_factory()(settings)), nl=False)


@cli.group("search-engine")
def search_engine() -> None:
    """Argilla's search indices (ARGILLA_SEARCH_ENGINE, ARGILLA_ELASTICSEARCH)."""


@search_engine.command("reindex")
@click.option(
    "--dataset-id",
    "--feedback-dataset-id",
    "dataset_id",
    default=None,
    help="Reindex only this dataset (default: every published dataset).",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to wait for a running migration or reindex of the same dataset.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@ACTOR_OPTION
def reindex_command(dataset_id: str | None, lock_timeout: float | None, as_json: bool, actor: str | None) -> None:
    """Rebuild the search index of published datasets from SQL, keeping searches answered meanwhile."""
    from service.cli.progress_bar import ReindexBar
    from service.ops.reindex import ReindexRequest, reindex

    bar = ReindexBar(disabled=as_json)

    async def work(resources: Resources) -> Any:
        with bar.shown():
            return await reindex(
                resources,
                actor or cli_actor(),
                ReindexRequest(dataset_id=dataset_id),
                lock_timeout=lock_timeout,
                on_progress=bar.update,
            )

    result = run_with_resources(work)
    if as_json:
        json_out(result)
    else:
        click.echo(render.reindex_text(result))


@cli.group()
def legacy() -> None:
    """Argilla 1.x datasets in the search engine: label schemas, workspaces (ARGILLA_ELASTICSEARCH, ARGILLA_NAMESPACE)."""


@legacy.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (same shape as GET /legacy).")
def legacy_status_command(as_json: bool) -> None:
    """What legacy data there is: datasets per task, UI label keys, missing schemas, missing workspaces."""
    from service.ops.legacy.status import legacy_status

    result = run_with_resources(legacy_status)
    json_out(result) if as_json else click.echo(render.legacy_status_text(result))


@legacy.command("labels")
@click.option("--dataset", "datasets", multiple=True, metavar="WS/NAME", help="A dataset to fix (repeatable).")
@click.option("--all", "all_datasets", is_flag=True, help="Every TextClassification/TokenClassification dataset.")
@click.option("--dry-run", is_flag=True, help="Show each schema before and after; write nothing.")
@click.option("--no-ui-labels", is_flag=True, help="Leave the old UI's labels out of new schemas (only report them).")
@click.option("--remove-ui-key", is_flag=True, help="Remove the old UI's metadata key once its labels are in the schema.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=None, help="Seconds to wait for a busy dataset.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def legacy_labels_command(
    datasets: tuple[str, ...],
    all_datasets: bool,
    dry_run: bool,
    no_ui_labels: bool,
    remove_ui_key: bool,
    lock_timeout: float | None,
    as_json: bool,
) -> None:
    """Save, per legacy dataset, a label schema holding every label of its records (exact) and of the old UI."""
    from service.ops.legacy.labels import legacy_labels
    from service.ops.legacy.requests import LegacyLabelsRequest

    if bool(datasets) == all_datasets:
        raise click.UsageError("pass --dataset WS/NAME (repeatable) or --all")
    request = LegacyLabelsRequest(
        datasets="all" if all_datasets else list(datasets),
        dry_run=dry_run,
        include_ui_labels=not no_ui_labels,
        remove_ui_key=remove_ui_key,
    )
    result = run_with_resources(lambda r: legacy_labels(r, cli_actor(), request, lock_timeout=lock_timeout))
    json_out(result) if as_json else click.echo(render.legacy_labels_text(result))


@legacy.command("workspaces")
@click.option("--target", required=True, metavar="WS", help="Existing workspace to move the datasets into.")
@click.option("--dataset", "datasets", multiple=True, metavar="NAME", help="Only this dataset (default: all without one).")
@click.option("--dry-run", is_flag=True, help="List what would move; change nothing.")
@click.option("--keep-original", is_flag=True, help="Keep the workspace-less original (a copy, not a move).")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=None, help="Seconds to wait for a busy dataset.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def legacy_workspaces_command(
    target: str, datasets: tuple[str, ...], dry_run: bool, keep_original: bool, lock_timeout: float | None, as_json: bool
) -> None:
    """Move datasets left without a workspace (Argilla < 1.4) into workspace WS, as WS/NAME."""
    from service.ops.legacy.requests import LegacyWorkspacesRequest
    from service.ops.legacy.workspaces import legacy_workspaces

    request = LegacyWorkspacesRequest(
        target_workspace=target, datasets=list(datasets) or None, dry_run=dry_run, keep_original=keep_original
    )
    result = run_with_resources(lambda r: legacy_workspaces(r, cli_actor(), request, lock_timeout=lock_timeout))
    json_out(result) if as_json else click.echo(render.legacy_workspaces_text(result))


def main() -> None:
    cli(prog_name="argilla-maint")


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except MaintenanceError as exc:
        click.echo(f"Error: {exc.detail}", err=True)
        sys.exit(exit_codes.for_error(exc))

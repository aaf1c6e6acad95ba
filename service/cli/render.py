"""Text rendering of operation results for the terminal."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from service.core.operation_record import OperationRecord
from service.ops.legacy.requests import LegacyLabelsResult, LegacyStatus, LegacyWorkspacesResult
from service.ops.results import MigrationPlan, RevisionsResult, StepProgress

if TYPE_CHECKING:  # the CLI imports the reindex (and its search modules) only when it runs one
    from service.ops.reindex import ReindexResult


def revisions_text(result: RevisionsResult) -> str:
    """The three sections Argilla's ``database revisions`` prints, from the result Struct."""
    lines = ["", "Tagged revisions", "-----------------"]
    lines += [f"• {t.tag} (revision: '{t.revision}')" for t in result.tags]
    lines += ["", "Alembic revisions", "-----------------"]
    for entry in result.revisions:
        head = " (head)" if entry.is_head else ""
        lines.append(f"{entry.down_revision or '<base>'} -> {entry.revision}{head}, {entry.message}")
    lines += ["", "Current revision", "----------------", f"Current revision(s) for {result.database_url}:"]
    if not result.current:
        lines.append("(none: the database has no alembic_version; migrate creates the schema)")
    for current in result.current:
        tag = f" [tag {current.tag}]" if current.tag else ""
        lines.append(f"Rev: {current.revision}{' (head)' if current.is_head else ''}{tag}")
        lines.append(f"Parent: {current.down_revision or '<base>'}")
        if current.message:
            lines += ["", f"    {current.message}"]
    return "\n".join(lines)


def plan_text(plan: MigrationPlan) -> str:
    """One line per step; destructive steps say what they drop and how many rows."""
    source = plan.from_revision or "<base>"
    warnings = [f"Warning: {warning}" for warning in plan.warnings]
    if not plan.steps:
        return "\n".join([f"Database already at {plan.to_revision}: nothing to do.", *warnings])
    lines = [f"Plan: {plan.direction} {source} -> {plan.to_revision} ({len(plan.steps)} step(s))", *warnings]
    for step in plan.steps:
        tag = f" [tag {step.tag}]" if step.tag else ""
        lines.append(f"  {step.direction:<9} {step.revision}{tag}  {step.message}")
        for table in step.dropped_tables:
            lines.append(f"      drops table {table.table} ({table.rows} rows)")
        for column in step.dropped_columns:
            lines.append(f"      drops column {column.table}.{column.column} ({column.non_null_values} non-null values)")
        if step.data_loss:
            lines.append(f"      data: {step.data_loss}")
    return "\n".join(lines)


def operation_line(op: OperationRecord) -> str:
    created = op.created_at.strftime("%Y-%m-%d %H:%M:%S")
    span = f"{op.from_revision or '<base>'} -> {op.to_revision}" if op.kind == "migrate" and op.to_revision else op.resource
    if op.parameters.get("dry_run"):
        span += "  (dry run)"
    duration = f"{op.duration_seconds:.2f}s" if op.duration_seconds is not None else "-"
    return f"{op.id}  {created}  {op.kind:<8} {op.status:<11} {op.actor:<16} {duration:>9}  {span}"


def operation_text(op: OperationRecord) -> str:
    """``key: value`` lines; a mapping (parameters, progress, result) one key per indented line, as JSON."""
    lines: list[str] = []
    for key, value in (
        ("id", op.id),
        ("kind", op.kind),
        ("status", op.status),
        ("actor", op.actor),
        ("resource", op.resource),
        ("parameters", op.parameters),
        ("from_revision", op.from_revision),
        ("to_revision", op.to_revision),
        ("created_at", op.created_at),
        ("started_at", op.started_at),
        ("finished_at", op.finished_at),
        ("duration_seconds", op.duration_seconds),
        ("progress", op.progress),
        ("result", op.result),
    ):
        if value is None:
            continue
        if isinstance(value, dict):
            lines.append(f"{key}:" + ("" if value else " {}"))
            lines += _mapping_lines(value)
        else:
            lines.append(f"{key}: {_scalar(value)}")
    if op.error:
        lines.append(f"error: {op.error.get('title')}: {op.error.get('detail')}")
    for step in op.steps or []:
        lines.append(f"  step {step['direction']:<9} {step['revision']}  {step['seconds']:.3f}s")
    return "\n".join(lines)


def _mapping_lines(mapping: dict[str, Any]) -> list[str]:
    """One indented ``key: value`` line per key; a multi-line string (a dry run's SQL) as an indented block."""
    lines: list[str] = []
    for key, value in mapping.items():
        if isinstance(value, str) and "\n" in value:
            lines.append(f"  {key}: |")
            lines += [f"    {line}" for line in value.splitlines()]
        else:
            lines.append(f"  {key}: {_scalar(value)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return msgspec.json.encode(value).decode()


def reindex_text(result: ReindexResult) -> str:
    """One line per skipped draft and per reindexed dataset, then the operation's outcome."""
    lines = [f"skipped {s.dataset_id} ({s.name}): {s.status}; {s.reason}" for s in result.skipped]
    for outcome in result.datasets:
        gap = f", gap {outcome.gap_seconds * 1000:.0f} ms" if outcome.gap_seconds is not None else ""
        lines.append(
            f"{outcome.index} ({outcome.name}): {outcome.strategy}, {outcome.records} records, "
            f"{outcome.docs_per_second:.0f} docs/s, {outcome.caught_up} caught up, "
            f"{outcome.stale_deleted} stale deleted{gap}"
        )
    op = result.operation
    lines.append(f"Operation {op.id} {op.status} in {op.duration_seconds or 0:.2f}s")
    return "\n".join(lines)


def legacy_status_text(status: LegacyStatus) -> str:
    """One line per legacy dataset with what it needs, after the totals."""
    if not status.legacy_data:
        return status.message
    tasks = ", ".join(f"{task}: {count}" for task, count in status.tasks.items())
    lines = [f"{status.message} ({tasks})"]
    for d in status.datasets:
        records = "no index" if d.records is None else f"{d.records} records"
        schema = f"schema of {d.schema_labels}" if d.has_label_schema else "no schema"
        ui = f", UI key {list(d.ui_labels)}" if d.has_ui_key else ""
        needs = f"  needs: {', '.join(d.needs)}" if d.needs else ""
        lines.append(f"  {d.id:<32} {d.task:<20} {d.workspace or '(no workspace)':<16} {records}, {schema}{ui}{needs}")
    return "\n".join(lines)


def legacy_labels_text(result: LegacyLabelsResult) -> str:
    lines = []
    for d in result.datasets:
        added = f"+{len(d.added)} ({', '.join(d.added)})" if d.added else "nothing to add"
        lines.append(f"{d.dataset}: {d.action}, {len(d.schema_after)} labels, {added}")
        if d.ui_labels_not_added:
            lines.append(f"    UI labels not added (the dataset has a schema): {', '.join(d.ui_labels_not_added)}")
    lines += [f"{s.dataset}: skipped, {s.reason}" for s in result.skipped]
    op = result.operation
    note = " (dry run: nothing was written)" if result.dry_run else ""
    lines.append(f"Operation {op.id} {op.status} in {op.duration_seconds or 0:.2f}s{note}")
    return "\n".join(lines)


def legacy_workspaces_text(result: LegacyWorkspacesResult) -> str:
    lines = [f"Datasets without a workspace: {', '.join(result.workspace_less) or 'none'}"]
    for d in result.datasets:
        kept = ", original kept" if d.kept_original else ""
        lines.append(f"{d.source_id} -> {d.target_id}: {d.action}, {d.records} records{kept}")
    op = result.operation
    note = " (dry run: nothing was changed)" if result.dry_run else ""
    lines.append(f"Operation {op.id} {op.status} in {op.duration_seconds or 0:.2f}s{note}")
    return "\n".join(lines)


def step_line(event: StepProgress) -> str:
    """One line as a migration step starts or finishes: step i/N, direction, revision, message, elapsed."""
    where = f"step {event.step}/{event.steps} {event.direction:<9} {event.revision}"
    if event.event == "started":
        tag = f" [tag {event.tag}]" if event.tag else ""
        return f"  {where}{tag}  {event.message} ..."
    return f"  {where}  done in {event.seconds or 0:.3f}s (elapsed {event.elapsed_seconds:.1f}s)"

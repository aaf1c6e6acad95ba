"""The new label schema of a legacy dataset (pure): existing labels, then the UI's, then the records'.

Order, stable across runs: the existing schema exactly as stored (order, ids, descriptions), then the
old UI's labels in UI order (only for datasets without a schema, as Argilla's recipe does; for the others
they are reported, not added), then every label found in the records, alphabetically (code point order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.search.legacy.documents import UiKey, label_entry, schema_names


@dataclass(frozen=True)
class SchemaPlan:
    before: list[dict[str, Any]] | None
    after: list[dict[str, Any]]
    from_ui: list[str] = field(default_factory=list)
    from_records: list[str] = field(default_factory=list)
    ui_not_added: list[str] = field(default_factory=list)

    @property
    def added(self) -> list[str]:
        return self.from_ui + self.from_records

    @property
    def changed(self) -> bool:
        return self.before != self.after


def plan_schema(
    before: list[dict[str, Any]] | None, ui: UiKey | None, record_labels: set[str], *, include_ui_labels: bool
) -> SchemaPlan:
    """Existing + UI (when there is no schema and it is asked for) + records' labels, without duplicates."""
    after = [dict(label) for label in before or []]
    known = set(schema_names(after))
    from_ui: list[str] = []
    ui_not_added: list[str] = []
    for label in ui.labels if ui else ():
        if label in known:
            continue
        if before is None and include_ui_labels:
            from_ui.append(label)
            known.add(label)
        else:
            ui_not_added.append(label)
    from_records = sorted(record_labels - known)
    after += [label_entry(name) for name in from_ui + from_records]
    return SchemaPlan(before, after, from_ui, from_records, ui_not_added)

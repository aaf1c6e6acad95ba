"""Reading and writing Argilla 1.x dataset documents (pure): task, workspace, label schema, the old UI's key.

Shapes (measured on Argilla 1.23.1): id ``<workspace>.<name>`` with ``owner`` = ``workspace``; before 1.4
the id is the bare name and ``workspace``/``owner`` are absent, null or ``""``. ``tags``/``metadata`` are
lists of ``{key, value}`` where ``value`` is a JSON string. ``settings.label_schema.labels`` is a list of
``{id, name, description?}``, present only once settings were saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from service.search.engine import StoredDocument

UI_KEY = "rubrix.recogn.ai/ui/custom/userData.v1"
TEXT_CLASSIFICATION = "TextClassification"
TOKEN_CLASSIFICATION = "TokenClassification"  # noqa: S105 - a task name
LABEL_TASKS = (TEXT_CLASSIFICATION, TOKEN_CLASSIFICATION)
# Where the old UI kept its labels in the key's value, per task.
UI_LIST = {TEXT_CLASSIFICATION: "labels", TOKEN_CLASSIFICATION: "entities"}


@dataclass(frozen=True)
class UiKey:
    """The old UI's custom-data entry: its labels in UI order, or why they could not be read."""

    labels: tuple[str, ...]
    unreadable: str | None = None


@dataclass(frozen=True)
class LegacyDataset:
    """One ``ar.datasets`` document, read."""

    doc: StoredDocument

    @property
    def id(self) -> str:
        return self.doc.id

    @property
    def name(self) -> str:
        return str(self.doc.source.get("name") or self.doc.id)

    @property
    def task(self) -> str:
        return str(self.doc.source.get("task") or "")

    @property
    def workspace(self) -> str | None:
        """None for the pre-1.4 shapes (absent, null or empty)."""
        value = self.doc.source.get("workspace") or self.doc.source.get("owner")
        return str(value) if value else None

    @property
    def schema(self) -> list[dict[str, Any]] | None:
        """The saved label schema, as stored; None when settings were never saved with one."""
        labels = ((self.doc.source.get("settings") or {}).get("label_schema") or {}).get("labels")
        return [dict(label) for label in labels] if isinstance(labels, list) else None

    @property
    def ui_key(self) -> UiKey | None:
        for entry in self.doc.source.get("metadata") or []:
            if isinstance(entry, dict) and entry.get("key") == UI_KEY:
                return parse_ui_value(entry.get("value"), self.task)
        return None

    @property
    def display(self) -> str:
        """``workspace/name`` (or the bare name), as operators type it."""
        return f"{self.workspace}/{self.name}" if self.workspace else self.name


def parse_ui_value(raw: Any, task: str) -> UiKey:
    """The key's value is a JSON string ``{"labels": [...]}`` (text) or ``{"entities": [...]}`` (tokens)."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return UiKey((), unreadable="its value is not JSON")
    wanted = UI_LIST.get(task, "labels")
    items = value.get(wanted) if isinstance(value, dict) else None
    if not isinstance(items, list):
        return UiKey((), unreadable=f"its value has no {wanted!r} list")
    return UiKey(tuple(dict.fromkeys(str(item) for item in items if isinstance(item, str | int))))


def schema_names(schema: list[dict[str, Any]] | None) -> list[str]:
    """Label names of a schema (Argilla validates records against ``name``), in schema order."""
    return [str(label.get("name", label.get("id"))) for label in schema or []]


def label_entry(name: str) -> dict[str, Any]:
    """A label as Argilla stores a string it was given: ``{id, name}``, id = name, no description."""
    return {"id": name, "name": name}


def encode_metadata_value(value: Any) -> str:
    """Metadata values are stored JSON-encoded (``"team"`` for the string team)."""
    return json.dumps(value)


def without_ui_key(metadata: list[Any]) -> list[Any]:
    return [entry for entry in metadata if not (isinstance(entry, dict) and entry.get("key") == UI_KEY)]

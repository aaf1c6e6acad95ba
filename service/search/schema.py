"""What the search layer needs to know about a dataset and its records, as structural protocols.

The database layer returns its own row objects; they satisfy these protocols by shape, so neither
layer imports the other (see the import-linter contract).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


class NamedSetting(Protocol):
    """A dataset field, question or metadata property: a name and the ``type`` from its settings."""

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...


class VectorSetting(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def dimensions(self) -> int: ...


class DatasetSchema(Protocol):
    """The parts of a dataset that shape its index mapping and its documents."""

    @property
    def id(self) -> UUID: ...

    @property
    def fields(self) -> Sequence[NamedSetting]: ...

    @property
    def questions(self) -> Sequence[NamedSetting]: ...

    @property
    def metadata_properties(self) -> Sequence[NamedSetting]: ...

    @property
    def vectors_settings(self) -> Sequence[VectorSetting]: ...


class ResponseRow(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def status(self) -> str: ...

    @property
    def user_id(self) -> UUID | None: ...

    @property
    def values(self) -> dict[str, Any] | None: ...


class SuggestionRow(Protocol):
    @property
    def question_name(self) -> str: ...

    @property
    def type(self) -> str | None: ...

    @property
    def agent(self) -> str | None: ...

    @property
    def score(self) -> Any: ...

    @property
    def value(self) -> Any: ...


class VectorRow(Protocol):
    @property
    def vector_settings_id(self) -> UUID: ...

    @property
    def value(self) -> list[float]: ...


class RecordRow(Protocol):
    """A record with its responses, suggestions and vectors loaded."""

    @property
    def id(self) -> UUID: ...

    @property
    def external_id(self) -> str | None: ...

    @property
    def fields(self) -> dict[str, Any]: ...

    @property
    def metadata(self) -> dict[str, Any] | None: ...

    @property
    def status(self) -> str: ...

    @property
    def inserted_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def responses(self) -> Sequence[ResponseRow]: ...

    @property
    def suggestions(self) -> Sequence[SuggestionRow]: ...

    @property
    def vectors(self) -> Sequence[VectorRow]: ...


def index_name(dataset_id: UUID | str) -> str:
    """Argilla's index for a dataset: ``rg.<dataset id>`` (no namespace prefix)."""
    return f"rg.{dataset_id}"

"""The ``SearchEngine`` protocol the operations use, and what it reports about an index name.

Errors raised through it (all from service.core.errors):

    SearchEngineUnavailable   no answer within the request deadline, or 429/502/503/504 for the busy budget
    ReindexFailed             the engine answered with an error we cannot fix by retrying
    DocumentChanged           a conditional write met a newer version of the document (HTTP 409)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from service.search.mappings import EngineName


@dataclass(frozen=True)
class IndexState:
    """What a name is: missing, a concrete index, or an alias; with the concrete index's settings and mapping."""

    name: str
    kind: Literal["missing", "index", "alias"]
    concrete: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)

    @property
    def shards(self) -> int | None:
        raw = self.settings.get("index.number_of_shards")
        return int(raw) if raw is not None else None


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored: id, ``_source`` and the version a conditional write must match."""

    id: str
    source: dict[str, Any]
    seq_no: int
    primary_term: int


class SearchEngine(Protocol):
    """The calls a reindex needs, on raw REST so both engines share one implementation of the logic."""

    engine: EngineName

    async def close(self) -> None: ...

    async def health(
        self, index: str | None = None, *, wait_for: str | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Cluster (or index) health; ``timeout`` bounds the call (default: the engine's request timeout)."""
        ...

    async def state(self, name: str) -> IndexState: ...

    async def create_index(self, name: str, settings: dict[str, Any], mappings: dict[str, Any]) -> None: ...

    async def put_mapping(self, name: str, mappings: dict[str, Any]) -> str | None:
        """Apply the mapping; None when accepted, else the engine's refusal reason (an incompatible mapping)."""
        ...

    async def put_settings(self, name: str, settings: dict[str, Any]) -> None: ...

    async def delete_index(self, name: str) -> None: ...

    async def indices(self, pattern: str) -> list[str]:
        """Concrete index names matching a wildcard pattern (none is not an error)."""
        ...

    async def refresh(self, name: str) -> None: ...

    async def count(self, name: str) -> int: ...

    async def search(self, name: str, body: dict[str, Any]) -> dict[str, Any]: ...

    async def bulk(self, ndjson: bytes) -> dict[str, Any]: ...

    async def expunge_deletes(self, name: str, *, timeout: float) -> bool:
        """Force-merge away deleted documents, waiting at most ``timeout`` s; True when finished in time."""
        ...

    async def update_aliases(self, actions: list[dict[str, Any]]) -> None: ...

    async def clone(self, source: str, target: str, settings: dict[str, Any]) -> None: ...

    async def get_document(self, index: str, doc_id: str) -> StoredDocument | None:
        """One document with its ``_source`` and sequence number; None when it (or the index) is missing."""
        ...

    async def index_document(
        self, index: str, doc_id: str, source: dict[str, Any], *, if_seq_no: tuple[int, int] | None = None
    ) -> None:
        """Write a whole document (refreshed); with ``if_seq_no`` (seq_no, primary_term) only over that version."""
        ...

    async def update_document(self, index: str, doc_id: str, partial: dict[str, Any], *, if_seq_no: tuple[int, int]) -> None:
        """Merge ``partial`` into a document (refreshed) if it is still at (seq_no, primary_term)."""
        ...

    async def delete_document(self, index: str, doc_id: str) -> None:
        """Delete one document (refreshed); a missing one is not an error."""
        ...

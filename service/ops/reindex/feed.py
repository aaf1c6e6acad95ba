"""A dataset's documents as bulk-ready bytes in Argilla's feed order: built by PostgreSQL where it can, else in Python.

On PostgreSQL one streamed query builds every document (``service.db.documents``) from one snapshot,
which the catch-up later uses to re-read exactly what was written after it. Elsewhere (SQLite, or a
dataset the SQL builder does not handle) records are loaded in keyset batches and built by
``service.search.documents``; the catch-up then looks back by time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import msgspec

from service.db import documents as sql_documents
from service.db import records as repo
from service.db.documents import DocumentBatch, Position
from service.db.records import Dataset
from service.ops.context import Resources
from service.search.documents import record_document, restringified_custom_fields

__all__ = ["DocumentBatch", "Position", "Since", "feed"]


@dataclass(frozen=True, slots=True)
class Since:
    """What a catch-up re-reads: rows written after a PostgreSQL ``snapshot``, or else changed at or after ``time``."""

    time: datetime
    snapshot: str | None = None


def uses_sql(resources: Resources, dataset: Dataset) -> bool:
    return sql_documents.supports(dataset, resources.engine.dialect.name)


async def feed(
    resources: Resources,
    dataset: Dataset,
    *,
    batch_size: int,
    after: Position | None = None,
    since: Since | None = None,
    on_snapshot: Callable[[str], None] | None = None,
) -> AsyncGenerator[DocumentBatch, None]:
    """Batches of ``(record id, document bytes, False)`` after ``after``, only changes since ``since`` if given.

    The database streams are closed with this generator (``aclosing``), so an abandoned feed frees its connection.
    """
    if uses_sql(resources, dataset) and (since is None or since.snapshot is not None):
        built = sql_documents.stream_documents(
            resources.engine,
            dataset,
            batch_size=batch_size,
            after=after,
            changed_after=None if since is None else since.snapshot,
            on_snapshot=on_snapshot,
        )
        async with contextlib.aclosing(built) as batches:
            async for batch in batches:
                if any(fixup for _id, _doc, fixup in batch.rows):
                    batch.rows = [
                        (rid, restringified_custom_fields(doc, dataset) if fixup else doc, False)
                        for rid, doc, fixup in batch.rows
                    ]
                yield batch
        return
    encode = msgspec.json.Encoder().encode
    loaded = repo.stream_records(
        resources.engine,
        dataset.id,
        batch_size=batch_size,
        after=None if after is None else (after.inserted_at, after.id),
        since=None if since is None else since.time,
    )
    async with contextlib.aclosing(loaded) as pages:
        async for records in pages:
            last = records[-1]
            yield DocumentBatch(
                [(str(r.id), encode(record_document(r, dataset)), False) for r in records], Position(last.inserted_at, last.id)
            )


async def documents_of(resources: Resources, dataset: Dataset, ids: list[UUID]) -> list[tuple[str, bytes]]:
    """The documents of the records among ``ids`` that still exist (for the sweep's missing ones)."""
    encode = msgspec.json.Encoder().encode
    return [(str(r.id), encode(record_document(r, dataset))) for r in await repo.load_records(resources.engine, dataset.id, ids)]

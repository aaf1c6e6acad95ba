"""Listing and reading the ``ar.datasets`` documents (every dataset Argilla 1.x knows about)."""

from __future__ import annotations

from typing import Any

from service.search.engine import SearchEngine, StoredDocument
from service.search.legacy.documents import LegacyDataset

PAGE = 1000


async def datasets_index_exists(engine: SearchEngine, index: str) -> bool:
    return (await engine.state(index)).kind != "missing"


async def list_datasets(engine: SearchEngine, index: str) -> list[LegacyDataset]:
    """Every dataset document, in ``id`` order (search_after pages; sequence numbers kept for conditional writes)."""
    found: list[LegacyDataset] = []
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": PAGE,
            "sort": [{"id": "asc"}],
            "seq_no_primary_term": True,
            "track_total_hits": False,
            "query": {"match_all": {}},
        }
        if after is not None:
            body["search_after"] = after
        hits = (await engine.search(index, body))["hits"]["hits"]
        found += [LegacyDataset(_stored(hit)) for hit in hits]
        if len(hits) < PAGE:
            return found
        after = hits[-1]["sort"]


async def get_dataset(engine: SearchEngine, index: str, dataset_id: str) -> LegacyDataset | None:
    doc = await engine.get_document(index, dataset_id)
    return LegacyDataset(doc) if doc is not None else None


def _stored(hit: dict[str, Any]) -> StoredDocument:
    return StoredDocument(str(hit["_id"]), dict(hit["_source"]), int(hit["_seq_no"]), int(hit["_primary_term"]))

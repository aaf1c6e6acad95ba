"""Read every document id of an index in ``id`` order (search_after), a page at a time."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from service.search.engine import SearchEngine

PAGE = 5000


async def ids_in_order(engine: SearchEngine, index: str, *, page: int = PAGE) -> AsyncGenerator[str, None]:
    """Yield the ``id`` keyword of every document, ascending (same order as the SQL primary key)."""
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": page,
            "_source": False,
            "sort": [{"id": "asc"}],
            "query": {"match_all": {}},
            "track_total_hits": False,
        }
        if after is not None:
            body["search_after"] = after
        hits = (await engine.search(index, body))["hits"]["hits"]
        for hit in hits:
            yield str(hit["sort"][0])
        if len(hits) < page:
            return
        after = hits[-1]["sort"]

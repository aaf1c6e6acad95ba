"""Which settings a new index is filled with: no refreshes and no replicas, except a 1 s refresh on OpenSearch with vectors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from service.db.records import Dataset, VectorSettings
from service.ops.reindex import FAST_FILL, fast_fill

pytestmark = pytest.mark.unit


def dataset(vectors: int) -> Dataset:
    settings = tuple(VectorSettings(uuid.uuid4(), f"v{i}", 8) for i in range(vectors))
    return Dataset(uuid.uuid4(), "d", "ready", datetime.now(UTC), vectors_settings=settings)


@pytest.mark.parametrize(
    ("engine", "vectors", "expected"),
    [
        ("elasticsearch", 0, FAST_FILL),
        ("elasticsearch", 2, FAST_FILL),
        ("opensearch", 0, FAST_FILL),
        # HNSW graphs are built per segment as it is written: many small segments beat a few large ones,
        # and only an explicit interval refreshes a shard that sees no searches.
        ("opensearch", 1, {"index.refresh_interval": "1s", "index.number_of_replicas": 0}),
    ],
)
def test_fast_fill_refreshes_every_second_only_for_opensearch_vectors(
    engine: str, vectors: int, expected: dict[str, object]
) -> None:
    lowered = fast_fill(engine, dataset(vectors))
    assert lowered == expected
    lowered["index.number_of_replicas"] = 5  # a copy: the module's constants stay as they are
    assert fast_fill(engine, dataset(vectors)) == expected

"""A new index is filled with no refreshes and no replicas; only OpenSearch with vectors paces its fill with refreshes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from service.db.records import Dataset, VectorSettings
from service.ops.reindex import FAST_FILL, refresh_pace
from service.ops.reindex.fast_fill import PACED_REFRESH_DOCS

pytestmark = pytest.mark.unit


def dataset(vectors: int) -> Dataset:
    settings = tuple(VectorSettings(uuid.uuid4(), f"v{i}", 8) for i in range(vectors))
    return Dataset(uuid.uuid4(), "d", "ready", datetime.now(UTC), vectors_settings=settings)


def test_a_fill_lowers_refreshes_and_replicas() -> None:
    assert FAST_FILL == {"index.refresh_interval": "-1", "index.number_of_replicas": 0}


@pytest.mark.parametrize(
    ("engine", "vectors", "expected"),
    [
        ("elasticsearch", 0, None),
        ("elasticsearch", 2, None),
        ("opensearch", 0, None),
        # HNSW graphs are built per segment as it is written, at a cost that grows faster than the segment.
        ("opensearch", 1, PACED_REFRESH_DOCS),
    ],
)
def test_only_opensearch_with_vectors_paces_its_fill(engine: str, vectors: int, expected: int | None) -> None:
    assert refresh_pace(engine, dataset(vectors)) == expected

"""BulkWriter.index_many: bodies bounded in documents and bytes, every document once, in order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.search.bulk import BulkWriter

pytestmark = [pytest.mark.unit, pytest.mark.asyncio]


class RecordingNode:
    """Answers every bulk as fully indexed and keeps the bodies (the chunking is what is under test)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def bulk(self, body: bytes) -> dict[str, Any]:
        self.bodies.append(body)
        return {"errors": False}


def documents(count: int) -> list[tuple[str, bytes]]:
    return [(f"id-{i}", json.dumps({"n": i, "pad": "x" * (i % 97)}).encode()) for i in range(count)]


@pytest.mark.parametrize(("max_docs", "max_bytes"), [(500, 8 << 20), (10_000, 4096), (7, 1500)])
async def test_bodies_stay_within_bounds_and_keep_every_document_in_order(max_docs: int, max_bytes: int) -> None:
    node = RecordingNode()
    written: list[int] = []
    writer = BulkWriter(node, max_docs=max_docs, max_bytes=max_bytes, concurrency=1, on_written=written.append)  # type: ignore[arg-type]
    docs = documents(1234)
    for start in range(0, len(docs), 300):  # batches that do not line up with the bodies
        await writer.index_many("rg.x", docs[start : start + 300])
    await writer.close()

    seen: list[tuple[str, dict[str, Any]]] = []
    for body in node.bodies:
        lines = body.decode().splitlines()
        assert len(lines) // 2 <= max_docs
        assert len(body) <= max_bytes
        for action, source in zip(lines[::2], lines[1::2], strict=True):
            assert json.loads(action) == {"index": {"_index": "rg.x", "_id": json.loads(action)["index"]["_id"]}}
            seen.append((json.loads(action)["index"]["_id"], json.loads(source)))
    assert seen == [(doc_id, json.loads(doc)) for doc_id, doc in docs]
    assert sum(written) == 1234


class FailingNode(RecordingNode):
    """Answers body number ``fail_at`` (counted from 1) with a rejected document."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at

    async def bulk(self, body: bytes) -> dict[str, Any]:
        self.bodies.append(body)
        if len(self.bodies) != self.fail_at:
            return {"errors": False}
        count = body.count(b"\n") // 2
        items = [{"index": {"_id": str(i), "status": 201}} for i in range(count - 1)]
        items.append({"index": {"_id": "bad", "status": 400, "error": {"type": "mapper_parsing_exception", "reason": "no"}}})
        return {"errors": True, "items": items}


async def test_the_mark_is_reached_only_when_every_document_before_it_is_written() -> None:
    node = RecordingNode()
    writer = BulkWriter(node, max_docs=100, max_bytes=8 << 20, concurrency=4)  # type: ignore[arg-type]
    marks = []
    for start in range(0, 1000, 250):
        await writer.index_many("rg.x", documents(1000)[start : start + 250])
        marks.append(writer.mark())
    assert marks == [3, 5, 8, 10]  # 250 documents end inside the 3rd body of 100, 500 at the end of the 5th, ...
    await writer.close()
    assert writer.answered_through == 10 == len(node.bodies)


async def test_a_failed_body_holds_the_mark_back() -> None:
    node = FailingNode(fail_at=3)
    writer = BulkWriter(node, max_docs=100, max_bytes=8 << 20, concurrency=1)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="rejected 1 document"):
        await writer.index_many("rg.x", documents(1000))
        await writer.close()
    assert writer.answered_through == 2  # a checkpoint can never claim the documents of body 3 or later
    await writer.abort()

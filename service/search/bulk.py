"""Bulk writer: NDJSON bodies bounded in documents and bytes, a few requests in flight, flat memory.

A bounded queue sits between the producer and ``concurrency`` senders, so at most
``concurrency * 2 + 1`` bodies exist at once. Item results are checked: a rejected document fails
the run with the engine's first reasons; items refused with 429 are re-sent with backoff for a
bounded budget (reported), then fail keeping the reason the node gave (e.g. a flood-stage disk block).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from service.core.errors import ReindexFailed, SearchEngineUnavailable
from service.search.engine import SearchEngine

MAX_ITEM_BACKOFF = 8.0
log = structlog.get_logger("service.search")
Pair = tuple[bytes, bytes | None]


class BulkWriter:
    """Queue ``index``/``delete`` actions; ``close()`` waits for every request and re-raises the first failure."""

    def __init__(
        self,
        engine: SearchEngine,
        *,
        max_docs: int,
        max_bytes: int,
        concurrency: int,
        on_written: Callable[[int], None] = lambda _n: None,
        busy_budget: float = 120.0,
        on_backoff: Callable[[dict[str, Any]], None] = lambda _state: None,
    ) -> None:
        self.engine = engine
        self.busy_budget = busy_budget
        self.on_backoff = on_backoff
        self.max_docs = max_docs
        self.max_bytes = max_bytes
        self.on_written = on_written
        self._encode = msgspec.json.Encoder().encode
        self._queue: asyncio.Queue[tuple[int, list[Pair]] | None] = asyncio.Queue(maxsize=concurrency * 2)
        # Bodies are numbered as they are handed over; ``answered_through`` is the highest number up to which
        # every body is answered and written (bodies finish out of order: ``_answered`` holds those ahead).
        self._handed = 0
        self._answered: set[int] = set()
        self.answered_through = 0
        self._workers = [asyncio.create_task(self._work()) for _ in range(concurrency)]
        self._chunk: list[Pair] = []
        self._size = 0
        self._error: BaseException | None = None
        self.requests = 0

    async def index(self, index: str, doc_id: str, document: dict[str, Any]) -> None:
        await self.index_encoded(index, doc_id, self._encode(document))

    async def index_encoded(self, index: str, doc_id: str, document: bytes) -> None:
        """Queue an already serialised document (one JSON line, no newline inside)."""
        action = b'{"index":{"_index":' + self._encode(index) + b',"_id":' + self._encode(doc_id) + b"}}\n"
        await self._add((action, document + b"\n"))

    async def index_many(self, index: str, documents: list[tuple[str, bytes]]) -> None:
        """Queue already serialised documents ``(id, one JSON line)``: the reindex's hot path, awaiting only
        when a body is handed over rather than once per document."""
        head = b'{"index":{"_index":' + self._encode(index) + b',"_id":'
        for doc_id, document in documents:
            pair = (head + self._encode(doc_id) + b"}}\n", document + b"\n")
            size = len(pair[0]) + len(pair[1])
            if self._full_with(size):
                await self.flush()
            self._chunk.append(pair)
            self._size += size

    async def delete(self, index: str, doc_id: str) -> None:
        await self._add((b'{"delete":{"_index":' + self._encode(index) + b',"_id":' + self._encode(doc_id) + b"}}\n", None))

    async def _add(self, pair: Pair) -> None:
        size = len(pair[0]) + len(pair[1] or b"")
        if self._full_with(size):
            await self.flush()
        self._chunk.append(pair)
        self._size += size

    def mark(self) -> int:
        """The number of the body holding the last document queued so far: once ``answered_through`` reaches
        it, every document queued before this call is written (a checkpoint that needs no drain)."""
        return self._handed + (1 if self._chunk else 0)

    def _full_with(self, size: int) -> bool:
        """Whether adding ``size`` bytes would overflow the pending body (in documents or bytes)."""
        return bool(self._chunk) and (len(self._chunk) >= self.max_docs or self._size + size > self.max_bytes)

    async def flush(self) -> None:
        """Hand the pending actions to a sender (waits while the queue is full: backpressure)."""
        self._raise_if_failed()
        if self._chunk:
            chunk, self._chunk, self._size = self._chunk, [], 0
            self._handed += 1
            await self._queue.put((self._handed, chunk))

    async def drain(self) -> None:
        """Send what is pending and wait until every body handed over is answered; raise the first failure."""
        await self.flush()
        await self._queue.join()
        self._raise_if_failed()

    async def close(self) -> None:
        """Send what is pending, stop the senders, and raise the first failure if any."""
        try:
            await self.flush()
        finally:
            for _ in self._workers:
                await self._queue.put(None)
            await asyncio.gather(*self._workers, return_exceptions=True)
        self._raise_if_failed()

    async def abort(self) -> None:
        """Stop at once (on an error elsewhere): pending bodies are dropped."""
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if item is None:
                    return
                if self._error is not None:
                    continue  # keep draining so the producer never blocks on a dead sender
                number, chunk = item
                try:
                    await self._send(chunk)
                except Exception as exc:
                    self._error = exc
                else:
                    self._answered.add(number)
                    while self.answered_through + 1 in self._answered:
                        self._answered.remove(self.answered_through + 1)
                        self.answered_through += 1
            finally:
                self._queue.task_done()

    async def _send(self, chunk: list[Pair]) -> None:
        """Send one body; items refused as busy (429: queues full, a flood-stage disk block) are re-sent with
        backoff for ``busy_budget`` seconds, reported to ``on_backoff``, then fail with the node's reason."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        attempt = 0
        while True:
            body = b"".join(line for pair in chunk for line in pair if line is not None)
            answer = await self.engine.bulk(body)
            self.requests += 1
            if not answer.get("errors"):
                self.on_written(len(chunk))
                return
            retry, failures, reason = _sort_items(chunk, answer.get("items", []))
            if failures:
                raise ReindexFailed(
                    f"the search engine rejected {len(failures)} document(s): {'; '.join(failures[:3])}", rejected=len(failures)
                )
            self.on_written(len(chunk) - len(retry))
            if not retry:
                return
            chunk = retry
            waited = loop.time() - began
            delay = min(MAX_ITEM_BACKOFF, 0.25 * 2**attempt)
            if waited + delay > self.busy_budget:
                raise SearchEngineUnavailable(
                    f"the search engine kept refusing {len(chunk)} document(s) with HTTP 429 for {waited:.0f} s: {reason}",
                    reason=reason,
                )
            state = {
                "status": 429,
                "reason": reason,
                "documents": len(chunk),
                "waited_seconds": round(waited, 1),
                "budget_seconds": self.busy_budget,
            }
            log.warning("search engine refused documents as busy, backing off", **state)
            self.on_backoff(state)
            await asyncio.sleep(delay)
            attempt += 1


def _sort_items(chunk: list[Pair], items: list[dict[str, Any]]) -> tuple[list[Pair], list[str], str]:
    """Split a bulk answer into pairs to retry (429), reasons of hard failures (a missing delete is fine), and
    the reason the node gave for the first 429 (a full queue, a flood-stage disk block)."""
    retry: list[Pair] = []
    failures: list[str] = []
    busy = ""
    for pair, item in zip(chunk, items, strict=True):
        op, result = next(iter(item.items()))
        status = int(result.get("status", 500))
        if status < 300 or (op == "delete" and status == 404):
            continue
        error = result.get("error") or {}
        if status == 429:
            retry.append(pair)
            busy = busy or f"{error.get('type', 'too many requests')}: {str(error.get('reason', ''))[:300]}"
            continue
        failures.append(f"{result.get('_id')}: {error.get('type', status)}: {str(error.get('reason', ''))[:200]}")
    return retry, failures, busy

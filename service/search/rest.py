"""One implementation of ``SearchEngine`` on REST paths; subclasses only say how a request is sent.

Deadlines and retries: every call gets an answer within ``timeout`` seconds (a hung node that
accepts connections and never answers included), unanswered attempts being retried with backoff
inside that deadline; 429/502/503/504 answers are retried with exponential backoff (logged) for
``busy_budget`` seconds. Then ``SearchEngineUnavailable``, keeping the reason the node gave. The
clients' own retries are off so the bounds are ours.

A refresh and an index deletion are the calls whose work may rightly outlast ``timeout``: OpenSearch
builds the k-NN graphs of new segments in a refresh (minutes for 200,000 vectors on two cores), and
deletes an index only once its running merges stop. They get ``refresh_timeout`` instead, for as long
as the node keeps answering a health probe within ``timeout``: a busy node is waited for, a hung one
still fails after about two deadlines.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import msgspec
import structlog

from service.core.errors import DocumentChanged, ReindexFailed, SearchEngineUnavailable
from service.core.secrets import mask_url
from service.search.engine import IndexState, StoredDocument
from service.search.mappings import EngineName

log = structlog.get_logger("service.search")
RETRY_STATUSES = frozenset({429, 502, 503, 504})
JSON = "application/json"
NDJSON = "application/x-ndjson"


@dataclass(frozen=True, slots=True)
class Call:
    """One attempt at a request, as an engine client sends it."""

    method: str
    path: str
    params: dict[str, str] | None
    body: bytes | None
    content_type: str
    timeout: float  # the client's own bound for the attempt (ours, ``asyncio.wait_for``, may be shorter)


class Unreachable(Exception):
    """The request did not get an HTTP answer (refused, reset, timed out)."""


class RestSearchEngine:
    """Shared logic; ``_send`` is the one engine-specific call."""

    engine: EngineName

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        refresh_timeout: float = 3600.0,
        busy_budget: float = 120.0,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.refresh_timeout = refresh_timeout
        self.busy_budget = busy_budget
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def _send(self, call: Call) -> tuple[int, Any]:
        """One attempt: (status, parsed body), or ``Unreachable``."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        ndjson: bytes | None = None,
        ok: tuple[int, ...] = (),
        timeout: float | None = None,
        setting: str = "ARGILLA_MAINT_SEARCH_TIMEOUT",
    ) -> tuple[int, Any]:
        """Send with bounded retries; return (status, parsed body) for 2xx and the ``ok`` statuses.

        No answer (refused, reset, hung) is retried until ``timeout`` (default ``self.timeout``) has passed
        since the first attempt; a busy answer (429/502/503/504) is retried with backoff for ``busy_budget``.
        ``setting`` names the variable that sets ``timeout``, for the message.
        """
        budget = self.timeout if timeout is None else timeout
        raw = ndjson if ndjson is not None else (msgspec.json.encode(body) if body is not None else None)
        call = Call(method, path, params, raw, NDJSON if ndjson is not None else JSON, budget)
        loop = asyncio.get_running_loop()
        began = loop.time()
        deadline = began + budget
        attempt = 0
        while True:
            remaining = deadline - loop.time()
            try:
                status, answer = await asyncio.wait_for(self._send(call), remaining)
            except (Unreachable, TimeoutError) as exc:
                cause = str(exc) or "no answer"
                if loop.time() + self.delay(attempt) >= deadline:
                    raise SearchEngineUnavailable(
                        f"the {self.engine} node at {mask_url(self.url)} did not answer {method} {path} within "
                        f"{deadline - began:.0f} s ({attempt + 1} attempt(s), last: {cause}); "
                        f"check ARGILLA_ELASTICSEARCH and the node, or raise {setting} if it is only slow",
                        engine=self.engine,
                    ) from exc
            else:
                if status < 300 or status in ok:
                    return status, answer
                reason = reason_of(answer)
                if status not in RETRY_STATUSES:
                    raise ReindexFailed(
                        f"{self.engine} refused {method} {path}: HTTP {status}: {reason}", status=status, reason=reason
                    )
                waited = loop.time() - began
                if waited + self.delay(attempt) > self.busy_budget:
                    raise SearchEngineUnavailable(
                        f"the {self.engine} node at {mask_url(self.url)} kept answering HTTP {status} to {method} {path} "
                        f"for {waited:.0f} s: {reason}",
                        engine=self.engine,
                        status=status,
                        reason=reason,
                    )
                log.warning("search engine busy, backing off", method=method, path=path, status=status, reason=reason)
                # A busy node answered: give the next attempt a full deadline of its own.
                deadline = loop.time() + self.delay(attempt) + budget
            await asyncio.sleep(self.delay(attempt))
            attempt += 1

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter, capped."""
        base = min(self.max_backoff, self.backoff * 2**attempt)
        return float(base * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not security

    async def health(
        self, index: str | None = None, *, wait_for: str | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        params = {"wait_for_status": wait_for, "timeout": "30s"} if wait_for else None
        path = f"/_cluster/health/{quote(index)}" if index else "/_cluster/health"
        _, body = await self.request("GET", path, params=params, timeout=timeout)
        return dict(body)

    async def state(self, name: str) -> IndexState:
        status, body = await self.request("GET", f"/{quote(name)}", params={"flat_settings": "true"}, ok=(404,))
        if status == 404:
            return IndexState(name, "missing")
        (concrete, info), *more = body.items()
        if more:
            raise ReindexFailed(f"{name} is an alias of several indices ({', '.join(body)}); fix it by hand first")
        kind: Literal["index", "alias"] = "index" if concrete == name else "alias"
        return IndexState(name, kind, concrete, dict(info.get("settings", {})), dict(info.get("mappings", {})))

    async def create_index(self, name: str, settings: dict[str, Any], mappings: dict[str, Any]) -> None:
        await self.request("PUT", f"/{quote(name)}", body={"settings": settings, "mappings": mappings})

    async def put_mapping(self, name: str, mappings: dict[str, Any]) -> str | None:
        status, body = await self.request("PUT", f"/{quote(name)}/_mapping", body=mappings, ok=(400,))
        return reason_of(body) if status == 400 else None

    async def put_settings(self, name: str, settings: dict[str, Any]) -> None:
        await self.request("PUT", f"/{quote(name)}/_settings", body=settings)

    async def delete_index(self, name: str) -> None:
        # OpenSearch deletes an index only once a running merge stops: a merge building HNSW graphs can take minutes.
        await self._long_call("DELETE", f"/{quote(name)}", ok=(404,))

    async def indices(self, pattern: str) -> list[str]:
        _, body = await self.request("GET", f"/{quote(pattern, safe='*')}/_settings", params={"flat_settings": "true"})
        return sorted(body)

    async def refresh(self, name: str) -> None:
        """Make what was written searchable: up to ``refresh_timeout`` while the node answers health probes."""
        await self._long_call("POST", f"/{quote(name)}/_refresh")

    async def _long_call(self, method: str, path: str, *, ok: tuple[int, ...] = ()) -> tuple[int, Any]:
        """A call whose work may take minutes (a refresh, deleting an index whose segments are being merged):
        it may run for ``refresh_timeout`` as long as the node answers ``GET /_cluster/health`` within
        ``timeout``, each time ``timeout`` passes without an answer."""
        call = asyncio.ensure_future(
            self.request(method, path, ok=ok, timeout=self.refresh_timeout, setting="ARGILLA_MAINT_SEARCH_REFRESH_TIMEOUT")
        )
        try:
            while not (await asyncio.wait({call}, timeout=self.timeout))[0]:
                try:
                    await self.health()
                except SearchEngineUnavailable as exc:
                    raise SearchEngineUnavailable(f"while {method} {path} was running, {exc.detail}", **exc.extra) from exc
                log.info("still running; the node answers", method=method, path=path)
            return call.result()
        finally:
            call.cancel()

    async def count(self, name: str) -> int:
        _, body = await self.request("GET", f"/{quote(name)}/_count")
        return int(body["count"])

    async def search(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        _, answer = await self.request("POST", f"/{quote(name)}/_search", body=body)
        return dict(answer)

    async def bulk(self, ndjson: bytes) -> dict[str, Any]:
        # Only what the item check reads: both engines then build and send a much smaller answer.
        _, answer = await self.request("POST", "/_bulk", ndjson=ndjson, params=BULK_FILTER)
        return dict(answer)

    async def expunge_deletes(self, name: str, *, timeout: float) -> bool:
        """Merge away the segments' deleted documents; True when done within ``timeout`` seconds.

        Both engines keep recent deletes as soft deletes while a shard copy's retention lease still covers
        them; the node renews the leases every 30 s. So wait until every lease has moved past the last
        operation, then force-merge, as a task so the wait stays ours to bound.
        """
        deadline = time.monotonic() + timeout
        while not await self._leases_past_last_operation(name):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(1.0)
        _, body = await self.request(
            "POST", f"/{quote(name)}/_forcemerge", params={"only_expunge_deletes": "true", "wait_for_completion": "false"}
        )
        task = body.get("task") if isinstance(body, dict) else None
        while task:
            status, answer = await self.request("GET", f"/_tasks/{quote(str(task))}", ok=(404,))
            if status == 404 or answer.get("completed"):
                break
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.2)
        return True

    async def _leases_past_last_operation(self, name: str) -> bool:
        _, body = await self.request("GET", f"/{quote(name)}/_stats", params={"level": "shards", "filter_path": LEASE_FILTER})
        for index in (body.get("indices") or {}).values():
            for copies in (index.get("shards") or {}).values():
                for copy in copies:
                    last = int(copy.get("seq_no", {}).get("max_seq_no", -1))
                    leases = copy.get("retention_leases", {}).get("leases", [])
                    if any(int(lease.get("retaining_seq_no", 0)) <= last for lease in leases):
                        return False
        return True

    async def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        await self.request("POST", "/_aliases", body={"actions": actions})

    async def clone(self, source: str, target: str, settings: dict[str, Any]) -> None:
        await self.request(
            "PUT", f"/{quote(source)}/_clone/{quote(target)}", body={"settings": settings}, params={"wait_for_active_shards": "1"}
        )

    async def get_document(self, index: str, doc_id: str) -> StoredDocument | None:
        status, body = await self.request("GET", f"/{quote(index)}/_doc/{quote(doc_id, safe='')}", ok=(404,))
        if status == 404 or not body.get("found"):
            return None
        return StoredDocument(str(body["_id"]), dict(body["_source"]), int(body["_seq_no"]), int(body["_primary_term"]))

    async def index_document(
        self, index: str, doc_id: str, source: dict[str, Any], *, if_seq_no: tuple[int, int] | None = None
    ) -> None:
        params = {"refresh": "true", **_conditional(if_seq_no)}
        status, _ = await self.request(
            "PUT", f"/{quote(index)}/_doc/{quote(doc_id, safe='')}", params=params, body=source, ok=(409,)
        )
        if status == 409:
            raise DocumentChanged(f"{index}/{doc_id} changed while we worked on it; run the operation again", index=index)

    async def update_document(self, index: str, doc_id: str, partial: dict[str, Any], *, if_seq_no: tuple[int, int]) -> None:
        params = {"refresh": "true", **_conditional(if_seq_no)}
        status, _ = await self.request(
            "POST", f"/{quote(index)}/_update/{quote(doc_id, safe='')}", params=params, body={"doc": partial}, ok=(409,)
        )
        if status == 409:
            raise DocumentChanged(f"{index}/{doc_id} changed while we worked on it; run the operation again", index=index)

    async def delete_document(self, index: str, doc_id: str) -> None:
        await self.request("DELETE", f"/{quote(index)}/_doc/{quote(doc_id, safe='')}", params={"refresh": "true"}, ok=(404,))


def _conditional(if_seq_no: tuple[int, int] | None) -> dict[str, str]:
    if if_seq_no is None:
        return {}
    return {"if_seq_no": str(if_seq_no[0]), "if_primary_term": str(if_seq_no[1])}


LEASE_FILTER = "indices.*.shards.*.seq_no.max_seq_no,indices.*.shards.*.retention_leases.leases.retaining_seq_no"
BULK_FILTER = {"filter_path": "errors,items.*.status,items.*._id,items.*.error"}


def reason_of(body: Any) -> str:
    """The engine's error type and reason, short (it names indices and fields, never credentials)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        root = (error.get("root_cause") or [error])[0]
        return f"{root.get('type', 'error')}: {str(root.get('reason', ''))[:300]}"
    return str(body)[:300]

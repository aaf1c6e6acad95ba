"""OpenSearch through ``opensearch-py``'s ``AsyncOpenSearch``."""

from __future__ import annotations

from typing import Any

import structlog
from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError

from service.core.errors import ReindexFailed
from service.search.mappings import EngineName
from service.search.rest import Call, RestSearchEngine, Unreachable

KNN_REFUSAL = "index.knn setting is false"
log = structlog.get_logger("service.search")


class OpenSearchEngine(RestSearchEngine):
    engine: EngineName = "opensearch"

    def __init__(self, url: str, *, ssl_verify: bool = True, ca_path: str | None = None, **retry: Any) -> None:
        super().__init__(url, **retry)
        self.client = AsyncOpenSearch(
            hosts=[url],
            verify_certs=ssl_verify,
            ca_certs=ca_path,
            max_retries=0,
            retry_on_timeout=False,
            timeout=self.timeout,
        )

    async def _send(self, call: Call) -> tuple[int, Any]:
        headers = {"content-type": call.content_type} if call.body is not None else None
        try:
            answer = await self.client.transport.perform_request(
                call.method, call.path, params=call.params, body=call.body, headers=headers, timeout=call.timeout
            )
        except OpenSearchConnectionError as exc:
            raise Unreachable(type(exc).__name__) from exc
        except TransportError as exc:
            if not isinstance(exc.status_code, int):
                raise Unreachable(type(exc).__name__) from exc
            return exc.status_code, exc.info
        # The transport returns only the body; errors raise, so an answer here is a success.
        return 200, answer

    async def create_index(self, name: str, settings: dict[str, Any], mappings: dict[str, Any]) -> None:
        """Argilla's settings (``index.knn: false``); k-NN 2.17+ refuses knn_vector methods on such an index,
        so when it does, the index is created with ``index.knn: true`` instead (the vectors stay searchable)."""
        try:
            await super().create_index(name, settings, mappings)
        except ReindexFailed as exc:
            if KNN_REFUSAL not in exc.detail or settings.get("index.knn") is not False:
                raise
            log.info("k-NN refuses vector methods with index.knn false; creating with index.knn true", index=name)
            await super().create_index(name, {**settings, "index.knn": True}, mappings)

    async def close(self) -> None:
        await self.client.close()

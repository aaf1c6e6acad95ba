"""An HTTP proxy in front of a real search node that fails the requests a test names (a fault injector)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import uvicorn

from tests.support.postgres import free_port

Rule = Callable[[str, str], int | None]
# httpx decodes compressed answers: neither the encoding nor the request for it is passed on.
HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "content-encoding", "accept-encoding"}


class FaultProxy:
    """ASGI app forwarding to ``upstream``; ``rule(method, path)`` returning a status answers that instead."""

    def __init__(self, upstream: str, rule: Rule) -> None:
        self.upstream = upstream.rstrip("/")
        self.rule = rule
        self.failed: list[tuple[str, str]] = []
        self.client = httpx.AsyncClient(timeout=120)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        status = self.rule(method, path)
        if status is not None:
            self.failed.append((method, path))
            payload = b'{"error": {"type": "injected_fault", "reason": "failed by the test proxy"}, "status": %d}' % status
            await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": payload})
            return
        query = scope.get("query_string", b"").decode()
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k.decode().lower() not in HOP_HEADERS]
        url = f"{self.upstream}{path}" + (f"?{query}" if query else "")
        answer = await self.client.request(method, url, content=body, headers=headers)
        out = [(k.encode(), v.encode()) for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": answer.content})


@contextlib.asynccontextmanager
async def fault_proxy(upstream: str, rule: Rule) -> AsyncIterator[tuple[str, FaultProxy]]:
    """Serve the proxy on a free loopback port for the block; yields (its URL, the proxy)."""
    app = FaultProxy(upstream, rule)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task
        await app.client.aclose()

"""Request context: a request id (honoured or made) bound to every log line and echoed; one line and metrics per request."""

from __future__ import annotations

import random
import re
import time
from typing import Any, cast
from urllib.parse import unquote_plus

import structlog
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from service.core.errors import InvalidRequest
from service.core.metrics import Metrics

REQUEST_ID_HEADER = "x-request-id"
VERSION_HEADER = "x-argilla-maintenance-version"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"
CLIENT_CLOSED = 499
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
log = structlog.get_logger("service.http")


def request_id_of(scope: Scope) -> str:
    """The id of this request: the client's ``X-Request-ID`` when it is sane, else a new one (kept in scope state)."""
    state: dict[str, Any] = cast(dict[str, Any], scope).setdefault("state", {})
    if "request_id" not in state:
        raw = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == REQUEST_ID_HEADER.encode()), "")
        # 128 random bits for correlation, not secrecy: the PRNG spares a getrandom() call per request.
        state["request_id"] = raw if _SANE_ID.match(raw) else f"{random.getrandbits(128):032x}"
    return str(state["request_id"])


def request_context(app: ASGIApp) -> ASGIApp:
    """Route middleware: binds the request id, logs one line per request and counts it by route template."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        raw = cast(dict[str, Any], scope)
        if raw["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        raw["state"]["routed"] = True
        started, status = time.perf_counter(), 500
        responded = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
            await send(message)

        async def receive_wrapper() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.disconnect":
                raw["state"]["client_disconnected"] = True
            return message

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await app(scope, receive_wrapper, send_wrapper)
            finally:
                if raw["state"].get("client_disconnected") and (not responded or status == CLIENT_CLOSED):
                    status = CLIENT_CLOSED  # the client left: nobody failed, nobody got an answer
                seconds = time.perf_counter() - started
                route = raw.get("path_template") or UNMATCHED_ROUTE
                metrics = raw["app"].state.get("metrics")
                if isinstance(metrics, Metrics):
                    metrics.http_request(raw["method"], route, status, seconds)
                log.info("request", method=raw["method"], route=route, status=status, duration_ms=round(seconds * 1000, 2))

    return middleware


async def before_send(message: Message, scope: Scope) -> None:
    """Every response (unrouted ones too) echoes the request id and names the version; unrouted ones are counted here."""
    raw = cast(dict[str, Any], scope)
    if message["type"] != "http.response.start" or raw["type"] != "http":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers[REQUEST_ID_HEADER] = request_id_of(scope)
    version = raw["app"].state.get("version")
    if isinstance(version, str):
        headers[VERSION_HEADER] = version
    if not raw["state"].get("routed"):
        metrics = raw["app"].state.get("metrics")
        if isinstance(metrics, Metrics):
            metrics.http_request(raw["method"], UNMATCHED_ROUTE, message["status"], None)


def refuse_control_characters(request: Request[Any, Any, Any]) -> None:
    """``before_request``: a NUL or other control character in the path or a query value is bad input (400).

    Such values can never name an operation, a dataset or a kind, and PostgreSQL refuses NUL in text.
    """
    raw = cast(dict[str, Any], request.scope)
    query = unquote_plus(raw.get("query_string", b"").decode("latin-1"))
    if _CONTROL.search(raw.get("path", "")) or _CONTROL.search(query):
        raise InvalidRequest(
            "the path or a query parameter contains a NUL byte or another control character; "
            "accepted: printable characters only (ids are UUIDs, kinds and statuses are words)"
        )

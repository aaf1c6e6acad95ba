"""Bearer-token guard: constant-time digest comparison, admin and read scopes, the actor for history."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from service.core.config import TokenEntry, token_digest
from service.core.errors import Forbidden, Unauthorized

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = "public"
METRICS = "metrics"


def match_token(tokens: Sequence[TokenEntry], authorization: str | None) -> TokenEntry:
    """The entry whose digest equals the presented token's; every entry is compared (no early exit)."""
    scheme, _, presented = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized(
            "send a token from ARGILLA_MAINT_TOKENS or ARGILLA_MAINT_TOKENS_FILE as 'Authorization: Bearer <token>'"
        )
    digest = token_digest(presented.strip())
    found: TokenEntry | None = None
    for entry in tokens:
        if hmac.compare_digest(entry.digest, digest) and found is None:
            found = entry
    if found is None:
        raise Unauthorized("the bearer token matches no entry of ARGILLA_MAINT_TOKENS or ARGILLA_MAINT_TOKENS_FILE")
    return found


def make_guard(tokens: Sequence[TokenEntry], *, metrics_public: bool) -> Guard:
    """A guard for every route except those marked public (and /metrics when ``metrics_public``)."""
    entries = tuple(tokens)

    # Async on purpose: Litestar runs a sync guard in a worker thread, a thread hop on every request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if handler.opt.get(PUBLIC) or (metrics_public and handler.opt.get(METRICS)):
            return
        entry = match_token(entries, connection.headers.get("authorization"))
        if entry.scope != "admin" and connection.scope.get("method") not in READ_METHODS:
            raise Forbidden(f"token {entry.name!r} has the read scope; this request needs an admin token")
        connection.scope.setdefault("state", {})["actor"] = entry.name

    return guard


def actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The name of the token that authenticated this request."""
    return str(connection.scope.get("state", {}).get("actor", "anonymous"))

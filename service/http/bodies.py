"""Request bodies parsed from raw bytes, so each failure (size, media type, JSON, schema) has its own problem."""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import InternalServerException

from service.core.errors import (
    ClientDisconnected,
    InvalidBody,
    InvalidRequest,
    MalformedBody,
    PayloadTooLarge,
    UnsupportedMediaType,
)

T = TypeVar("T", bound=msgspec.Struct)
_FIELD = re.compile(r"unknown field `([^`]*)`|at `\$\.([A-Za-z0-9_]+)")
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_body(request: Request[Any, Any, Any], max_bytes: int) -> bytes:
    """The raw body, refused with 413 as soon as it grows past ``max_bytes``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {max_bytes}", limit=max_bytes)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_bytes:
                raise PayloadTooLarge(f"the body is over {max_bytes} bytes, the limit", limit=max_bytes)
    except InternalServerException as exc:
        # Litestar's only signal that the client went away while sending the body.
        if request.scope.get("state", {}).get("client_disconnected"):
            raise ClientDisconnected("the client disconnected before sending the whole body") from exc
        raise
    return bytes(body)


async def decode_json_body(request: Request[Any, Any, Any], type_: type[T], max_bytes: int) -> T:
    """Decode the body into ``type_``; an empty body means every default."""
    content_type = request.headers.get("content-type")
    body = await read_body(request, max_bytes)
    if (content_type is not None and not is_json(content_type)) or (content_type is None and body.strip()):
        raise UnsupportedMediaType("send the body as application/json", accepted=["application/json"])
    if not body.strip():
        return type_()
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        match = _FIELD.search(str(exc))
        field = next((group for group in match.groups() if group), None) if match else None
        raise InvalidBody(f"the body does not match the schema: {exc}", field=field) from None
    except msgspec.DecodeError:
        raise MalformedBody("the body is not valid JSON") from None


def fingerprint(method: str, path: str, body: msgspec.Struct) -> str:
    """SHA-256 over method, path and the canonical (defaults filled, keys sorted) body."""
    canonical = msgspec.json.encode(msgspec.to_builtins(body), order="sorted")
    return hashlib.sha256(method.upper().encode() + b"\n" + path.encode() + b"\n" + canonical).hexdigest()


def idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    """The ``Idempotency-Key`` header, if any: 1 to 255 visible ASCII characters."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise InvalidRequest("Idempotency-Key must be 1 to 255 visible ASCII characters")
    return key

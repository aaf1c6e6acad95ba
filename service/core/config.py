"""Settings read once from the environment by ``load_settings``: strict, typed, secrets masked in repr."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from service.core.errors import ConfigurationError
from service.core.secrets import credentials_in, mask_url

Scope = Literal["admin", "read"]
SearchEngineName = Literal["elasticsearch", "opensearch"]
MIN_TOKEN_LENGTH = 16
DEFAULT_PORT = 6910


@dataclass(frozen=True)
class TokenEntry:
    """A named API token, kept only as its SHA-256 digest."""

    name: str
    digest: bytes = field(repr=False)
    scope: Scope = "admin"


@dataclass(frozen=True)
class SearchSettings:
    """How to reach the search engine and how to lay out Argilla's record indices."""

    engine: SearchEngineName = "elasticsearch"
    url: str | None = None
    ssl_verify: bool = True
    ca_path: str | None = None
    shards: int = 1
    replicas: int = 0
    total_fields_limit: int = 2000
    batch_size: int = 500
    bulk_max_bytes: int = 8 * 1024 * 1024
    concurrency: int = 4
    checkpoint_records: int = 10_000
    # Every engine call gets an answer within this many seconds (retries of unanswered calls included).
    request_timeout: float = 30.0
    # A refresh or an index deletion may work longer (OpenSearch builds k-NN graphs in a refresh, and deletes
    # an index once its merges stop) while the node answers a health probe within ``request_timeout``.
    refresh_timeout: float = 3600.0
    # How long answers meaning "busy" (HTTP 429/503, a flood-stage block) are retried with backoff before failing.
    busy_retry_seconds: float = 120.0
    namespace: str | None = None

    def __repr__(self) -> str:
        url = mask_url(self.url) if self.url else None
        return f"SearchSettings(engine={self.engine!r}, url={url!r})"


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    home_path: Path
    database_url: str = field(repr=False)
    sqlite_timeout: float = 5.0
    pg_pool_size: int = 15
    pg_max_overflow: int = 10
    lock_timeout: float = 0.0
    lock_ttl: float = 300.0
    heartbeat_interval: float = 5.0
    stale_after: float = 60.0
    tokens: tuple[TokenEntry, ...] = ()
    metrics_public: bool = False
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_wait: float = 60.0
    shutdown_grace: float = 20.0
    max_body_bytes: int = 64 * 1024
    header_timeout: float = 10.0
    search: SearchSettings = field(default_factory=SearchSettings)
    reindex_datasets: bool = False
    # None: not set; the server then logs at INFO, the CLI at WARNING (its output already says what happened).
    log_level: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every password the configured URLs carry, so ``mask_text`` can remove them from any text."""
        return credentials_in(self.database_url) + credentials_in(self.search.url)

    def __repr__(self) -> str:
        return (
            f"Settings(database_url={mask_url(self.database_url)!r}, home_path={str(self.home_path)!r}, "
            f"tokens={[t.name for t in self.tokens]!r}, search={self.search!r})"
        )


def token_digest(token: str) -> bytes:
    """The digest a presented token is compared against (constant-time, see the HTTP guard)."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from ``environ`` (default: the process environment); errors name the variable."""
    env = os.environ if environ is None else environ
    home = Path(env.get("ARGILLA_HOME_PATH") or Path.home() / ".argilla").expanduser()
    database_url = env.get("ARGILLA_DATABASE_URL") or f"sqlite+aiosqlite:///{home / 'argilla.db'}"
    return Settings(
        home_path=home,
        database_url=database_url,
        sqlite_timeout=_number(env, "ARGILLA_DATABASE_SQLITE_TIMEOUT", 5.0, minimum=0),
        pg_pool_size=int(_number(env, "ARGILLA_DATABASE_POSTGRESQL_POOL_SIZE", 15, minimum=1, integer=True)),
        pg_max_overflow=int(_number(env, "ARGILLA_DATABASE_POSTGRESQL_MAX_OVERFLOW", 10, minimum=0, integer=True)),
        lock_timeout=_number(env, "ARGILLA_MAINT_LOCK_TIMEOUT", 0.0, minimum=0),
        lock_ttl=_number(env, "ARGILLA_MAINT_LOCK_TTL", 300.0, minimum=5),
        heartbeat_interval=_number(env, "ARGILLA_MAINT_HEARTBEAT_SECONDS", 5.0, minimum=0.1),
        stale_after=_number(env, "ARGILLA_MAINT_STALE_AFTER_SECONDS", 60.0, minimum=1),
        tokens=load_tokens(env),
        metrics_public=_flag(env, "ARGILLA_MAINT_METRICS_PUBLIC", False),
        host=env.get("ARGILLA_MAINT_HOST", "127.0.0.1"),
        port=int(_number(env, "ARGILLA_MAINT_PORT", DEFAULT_PORT, minimum=0, integer=True)),
        max_wait=_number(env, "ARGILLA_MAINT_MAX_WAIT_SECONDS", 60.0, minimum=0),
        shutdown_grace=_number(env, "ARGILLA_MAINT_SHUTDOWN_GRACE_SECONDS", 20.0, minimum=0),
        header_timeout=_number(env, "ARGILLA_MAINT_HEADER_TIMEOUT_SECONDS", 10.0, minimum=0.1),
        search=_search_settings(env),
        reindex_datasets=_flag(env, "REINDEX_DATASETS", False),
        log_level=_choice(env, "ARGILLA_MAINT_LOG_LEVEL", "", ("DEBUG", "INFO", "WARNING", "ERROR")) or None,
    )


def _search_settings(env: Mapping[str, str]) -> SearchSettings:
    engine = _choice(env, "ARGILLA_SEARCH_ENGINE", "elasticsearch", ("elasticsearch", "opensearch"), lower=True)
    return SearchSettings(
        engine="opensearch" if engine == "opensearch" else "elasticsearch",
        url=env.get("ARGILLA_ELASTICSEARCH") or None,
        ssl_verify=_flag(env, "ARGILLA_ELASTICSEARCH_SSL_VERIFY", True),
        ca_path=env.get("ARGILLA_ELASTICSEARCH_CA_PATH") or None,
        shards=int(_number(env, "ARGILLA_ES_RECORDS_INDEX_SHARDS", 1, minimum=1, integer=True)),
        replicas=int(_number(env, "ARGILLA_ES_RECORDS_INDEX_REPLICAS", 0, minimum=0, integer=True)),
        total_fields_limit=int(_number(env, "ARGILLA_ES_MAPPING_TOTAL_FIELDS_LIMIT", 2000, minimum=1, integer=True)),
        batch_size=int(_number(env, "ARGILLA_MAINT_REINDEX_BATCH_SIZE", 500, minimum=1, integer=True)),
        bulk_max_bytes=int(_number(env, "ARGILLA_MAINT_REINDEX_BULK_BYTES", 8 * 1024 * 1024, minimum=1024, integer=True)),
        concurrency=int(_number(env, "ARGILLA_MAINT_REINDEX_CONCURRENCY", 4, minimum=1, integer=True)),
        checkpoint_records=int(_number(env, "ARGILLA_MAINT_REINDEX_CHECKPOINT_RECORDS", 10_000, minimum=1, integer=True)),
        request_timeout=_number(env, "ARGILLA_MAINT_SEARCH_TIMEOUT", 30.0, minimum=0.1),
        refresh_timeout=_number(env, "ARGILLA_MAINT_SEARCH_REFRESH_TIMEOUT", 3600.0, minimum=0.1),
        busy_retry_seconds=_number(env, "ARGILLA_MAINT_SEARCH_BUSY_RETRY_SECONDS", 120.0, minimum=0.0),
        namespace=_namespace(env),
    )


def _namespace(env: Mapping[str, str]) -> str | None:
    """``ARGILLA_NAMESPACE``: Argilla 1.x prefixes its index names with it (``<ns>.ar.datasets``); a-z only, as there."""
    raw = env.get("ARGILLA_NAMESPACE")
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    if not re.fullmatch(r"[a-z]+", value):
        raise ConfigurationError(f"ARGILLA_NAMESPACE={raw!r} is not accepted; accepted: lowercase letters a-z only")
    return value


def load_tokens(env: Mapping[str, str]) -> tuple[TokenEntry, ...]:
    """Parse ``ARGILLA_MAINT_TOKENS`` (comma-separated) and ``ARGILLA_MAINT_TOKENS_FILE`` (one a line), strictly.

    Each entry is ``name:token``, ``name:token:read`` or ``name:token:admin``; anything else (an unknown
    scope, surrounding whitespace, an empty entry, a repeated name) is refused naming the entry by its
    position and, when it has a valid one, its name: the token itself is never echoed.
    """
    entries: list[tuple[str, str]] = []
    inline = env.get("ARGILLA_MAINT_TOKENS", "")
    if inline.strip():
        entries += [(f"ARGILLA_MAINT_TOKENS entry {n}", item) for n, item in enumerate(inline.split(","), 1)]
    path = env.get("ARGILLA_MAINT_TOKENS_FILE")
    if path:
        try:
            # Split on newlines only, so a CRLF file's stray carriage returns are refused, not silently kept.
            lines = Path(path).read_bytes().decode("utf-8").removesuffix("\n").split("\n")
        except OSError as exc:
            raise ConfigurationError(f"ARGILLA_MAINT_TOKENS_FILE: cannot read {path!r} ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"ARGILLA_MAINT_TOKENS_FILE: {path!r} is not UTF-8 text") from exc
        entries += [
            (f"ARGILLA_MAINT_TOKENS_FILE line {n}", line)
            for n, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    tokens = [_parse_token(source, raw) for source, raw in entries]
    names = [t.name for t in tokens]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigurationError(f"token names must be unique; repeated: {', '.join(duplicated)}")
    return tuple(tokens)


_TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOKEN_SECRET = re.compile(r"[!-~]+")  # printable ASCII without space; ':' and ',' are separators
_SCOPES: dict[str, Scope] = {"read": "read", "admin": "admin"}
TOKEN_FORM = (
    "accepted form: name:token, name:token:read or name:token:admin (name of letters, digits, '.', '_', '-'; "
    f"token of at least {MIN_TOKEN_LENGTH} printable characters without ':' or ','; no surrounding spaces)"
)


def _parse_token(source: str, raw: str) -> TokenEntry:
    parts = raw.split(":")
    name = parts[0] if len(parts) > 1 and _TOKEN_NAME.fullmatch(parts[0]) else None
    # A long "name" may be a token written without its name: name the entry by position only.
    where = f"{source} ({name!r})" if name and len(name) < MIN_TOKEN_LENGTH else source
    if not raw.strip():
        raise ConfigurationError(f"{where} is empty; {TOKEN_FORM}")
    if raw != raw.strip():
        raise ConfigurationError(f"{where} has surrounding whitespace; {TOKEN_FORM}")
    if name is None or len(parts) not in (2, 3):
        raise ConfigurationError(f"{where} is malformed; {TOKEN_FORM}")
    secret = parts[1]
    if not _TOKEN_SECRET.fullmatch(secret):
        raise ConfigurationError(f"{where} has an empty token or one with spaces or control characters; {TOKEN_FORM}")
    if len(parts) == 3 and parts[2] not in _SCOPES:
        raise ConfigurationError(f"{where} has an unknown scope; accepted scopes: read, admin; {TOKEN_FORM}")
    if len(secret) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(f"{where}: the token is {len(secret)} characters long, at least 16 needed; {TOKEN_FORM}")
    return TokenEntry(name=name, digest=token_digest(secret), scope=_SCOPES[parts[2]] if len(parts) == 3 else "admin")


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; accepted: true/false, 1/0, yes/no, on/off")


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float, integer: bool = False) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    kind = "an integer" if integer else "a number"
    try:
        value = int(raw) if integer else float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name}={raw!r} is not {kind}; accepted: {kind} >= {minimum:g}") from exc
    if value < minimum:
        raise ConfigurationError(f"{name}={raw!r} is too small; accepted: {kind} >= {minimum:g}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, accepted: tuple[str, ...], *, lower: bool = False) -> str:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower() if lower else raw.strip().upper()
    if value not in accepted:
        raise ConfigurationError(f"{name}={raw!r} is not accepted; accepted: {', '.join(accepted)}")
    return value

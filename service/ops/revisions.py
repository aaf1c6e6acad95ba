"""Operation: list release tags, the revision chain, heads and the database's current revision(s).

The chain, the tags and the heads never change while a process runs, so a ``RevisionCatalog`` builds them
(and their JSON) once per ``Resources``; a request then costs at most one query for the current revision,
shared with the requests that arrived with it (``FreshRead``: never a read that started before the request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

import msgspec

from service.core.fresh_read import FreshRead
from service.db.release_tags import RELEASE_TAGS
from service.db.revisions import Chain, message_of, stored_heads, tag_of
from service.db.urls import dialect_of, masked
from service.ops.context import Resources
from service.ops.results import CurrentRevision, RevisionEntry, RevisionsResult, TaggedRevision

# Distinct current-revision answers whose JSON is kept: the chain's revisions, plus room for unknown ones.
MAX_ENCODED = 64


class RevisionCatalog:
    """The immutable part of the revisions answer, and its JSON per current revision(s), memoised."""

    def __init__(self, chain: Chain, database_url: str, read_heads: Callable[[], Awaitable[tuple[str, ...]]]) -> None:
        heads = chain.heads()
        self.entries = [
            RevisionEntry(
                revision=script.revision,
                down_revision=script.down_revision if isinstance(script.down_revision, str) else None,
                message=message_of(script),
                tag=tag_of(script.revision),
                is_head=script.revision in heads,
            )
            for script in chain.newest_first()
        ]
        self._by_id = {entry.revision: entry for entry in self.entries}
        self.tags = [TaggedRevision(tag, rev) for tag, rev in RELEASE_TAGS.items()]
        self.heads = list(heads)
        self.dialect, self.database_url = dialect_of(database_url), masked(database_url)
        self._encoded: dict[tuple[str, ...], bytes] = {}
        # The database's current revision(s): one read shared by the callers that arrived before it started.
        self.database_heads = FreshRead(read_heads)

    def current(self, revision: str) -> CurrentRevision:
        entry = self._by_id.get(revision)
        if entry is None:
            return CurrentRevision(revision, None, None, None, False)
        return CurrentRevision(entry.revision, entry.down_revision, entry.message, entry.tag, entry.is_head)

    def result(self, database_heads: tuple[str, ...]) -> RevisionsResult:
        return RevisionsResult(
            tags=self.tags,
            revisions=self.entries,
            heads=self.heads,
            current=[self.current(rev) for rev in database_heads],
            dialect=self.dialect,
            database_url=self.database_url,
        )

    def encoded(self, database_heads: tuple[str, ...]) -> bytes:
        """``result(database_heads)`` as JSON; the same bytes every time for the same heads."""
        body = self._encoded.get(database_heads)
        if body is None:
            body = msgspec.json.encode(self.result(database_heads))
            if len(self._encoded) < MAX_ENCODED:
                self._encoded[database_heads] = body
        return body


def catalog(resources: Resources) -> RevisionCatalog:
    """The process's catalog, built on first use and kept by ``resources`` (what the lifespan owns)."""
    if resources.revision_catalog is None:
        engine = resources.engine
        resources.revision_catalog = RevisionCatalog(
            resources.chain, resources.settings.database_url, lambda: stored_heads(engine)
        )
    return cast(RevisionCatalog, resources.revision_catalog)


async def database_heads(resources: Resources) -> tuple[str, ...]:
    """The revision(s) in the database's ``alembic_version`` (empty when it has none), read after this call."""
    return await catalog(resources).database_heads()


async def list_revisions(resources: Resources) -> RevisionsResult:
    """Everything ``database revisions`` shows, as one Struct."""
    return catalog(resources).result(await database_heads(resources))


async def revisions_json(resources: Resources) -> bytes:
    """``list_revisions`` encoded as JSON, from the memo: one query per call."""
    return catalog(resources).encoded(await database_heads(resources))

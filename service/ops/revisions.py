"""Operation: list release tags, the revision chain, heads and the database's current revision(s)."""

from __future__ import annotations

from service.db.engine import translate_errors
from service.db.release_tags import RELEASE_TAGS
from service.db.revisions import message_of, stored_heads, tag_of
from service.db.urls import dialect_of, masked
from service.ops.context import Resources
from service.ops.results import CurrentRevision, RevisionEntry, RevisionsResult, TaggedRevision


async def database_heads(resources: Resources) -> tuple[str, ...]:
    """The revision(s) in the database's ``alembic_version`` (empty when it has none)."""
    with translate_errors(resources.settings.database_url):
        return await stored_heads(resources.engine)


async def list_revisions(resources: Resources) -> RevisionsResult:
    """Everything ``database revisions`` shows, as one Struct."""
    chain = resources.chain
    heads = chain.heads()
    entries = [
        RevisionEntry(
            revision=script.revision,
            down_revision=script.down_revision if isinstance(script.down_revision, str) else None,
            message=message_of(script),
            tag=tag_of(script.revision),
            is_head=script.revision in heads,
        )
        for script in chain.newest_first()
    ]
    by_id = {entry.revision: entry for entry in entries}
    current = [
        CurrentRevision(rev, by_id[rev].down_revision, by_id[rev].message, by_id[rev].tag, by_id[rev].is_head)
        if rev in by_id
        else CurrentRevision(rev, None, None, None, False)
        for rev in await database_heads(resources)
    ]
    url = resources.settings.database_url
    return RevisionsResult(
        tags=[TaggedRevision(tag, rev) for tag, rev in RELEASE_TAGS.items()],
        revisions=entries,
        heads=list(heads),
        current=current,
        dialect=dialect_of(url),
        database_url=masked(url),
    )

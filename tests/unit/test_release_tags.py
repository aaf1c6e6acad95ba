"""Release tags against the revision chain in migrations/ (read by Alembic, no database)."""

from __future__ import annotations

import pytest

from service.core.errors import AmbiguousRevision, UnknownRevision
from service.db.release_tags import RELEASE_TAGS, REVISION_TAGS
from service.db.revisions import Chain

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain.load()


def test_every_tag_names_a_revision_of_the_chain_in_release_order(chain: Chain) -> None:
    """A mistyped revision id or a tag out of order would send `migrate --revision <tag>` to the wrong schema."""
    lineage = chain.lineage(chain.head())
    assert all(revision in lineage for revision in RELEASE_TAGS.values())
    positions = [lineage.index(revision) for revision in RELEASE_TAGS.values()]
    assert positions == sorted(positions, reverse=True)
    assert RELEASE_TAGS["2.5"] == chain.head() == "580a6553186f"
    assert len(lineage) == 24


def test_revision_tags_is_the_inverse_of_release_tags() -> None:
    """The tag shown next to a revision must be the one that resolves to it."""
    assert {REVISION_TAGS[revision]: revision for revision in REVISION_TAGS} == dict(RELEASE_TAGS)


def test_targets_resolve_from_tags_ids_and_prefixes(chain: Chain) -> None:
    """head, base, a tag, a full id and a unique prefix each resolve to the right revision."""
    assert chain.resolve("head") == "580a6553186f" and chain.resolve("base") == "base"
    assert chain.resolve("2.0") == "237f7c674d74" and chain.resolve(" 1.13 ") == "1e629a913727"
    assert chain.resolve("237f7c") == "237f7c674d74"


def test_unknown_and_ambiguous_targets_are_refused_with_what_is_accepted(chain: Chain) -> None:
    """A bad target names the accepted tags; an ambiguous prefix lists its candidates."""
    with pytest.raises(UnknownRevision) as unknown:
        chain.resolve("9.9")
    assert unknown.value.extra["accepted_tags"] == list(RELEASE_TAGS) and "release tag" in unknown.value.detail
    prefixes = [rev[:1] for rev in chain.lineage(chain.head())]
    shared = next(p for p in prefixes if prefixes.count(p) > 1)
    with pytest.raises(UnknownRevision):
        chain.resolve(shared)  # one character is below the minimum prefix length
    two = next(
        rev[:2] for rev in chain.lineage(chain.head()) if sum(r.startswith(rev[:2]) for r in chain.lineage(chain.head())) > 1
    )
    with pytest.raises(AmbiguousRevision) as ambiguous:
        chain.resolve(two)
    assert len(ambiguous.value.extra["candidates"]) > 1


def test_plan_lists_upgrades_oldest_first_and_downgrades_newest_first(chain: Chain) -> None:
    """Steps in the wrong order would run Alembic's revisions against the wrong schema."""
    up = chain.plan(RELEASE_TAGS["2.0"], RELEASE_TAGS["2.5"])
    down = chain.plan(RELEASE_TAGS["2.5"], RELEASE_TAGS["2.0"])
    assert [s.direction for s in up] == ["upgrade"] * len(up) and up[-1].revision == RELEASE_TAGS["2.5"]
    assert [s.revision for s in down] == [s.revision for s in reversed(up)]
    assert chain.plan(None, RELEASE_TAGS["1.7"])[0].down_revision is None

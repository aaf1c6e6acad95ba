"""Revision 237f7c674d74's back-fill: the same statuses, default and schema as Argilla's, whichever rows it writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.expected_schema import RELEASE_TAGS, expected_schema
from tests.support.schema_snapshot import schema_diff
from tests.test_migration_chain import (
    DATASETS,
    RECORDS,
    RESPONSES,
    USERS,
    WORKSPACES,
    _downgrade,
    _make_engine,
    _snapshot,
    _stamp,
    _upgrade,
    _uuid,
)

SEEDED_AT, BEFORE, REVISION = RELEASE_TAGS["1.11"], "45a12f74448b", "237f7c674d74"
RECORDS_SEEDED = 12


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = _make_engine(database_url)
    yield made
    made.dispose()


def _seed(engine: Engine, submitted: int) -> dict[uuid.UUID, str]:
    """Records of which the first ``submitted`` have a submitted response; the rest draft, discarded or none.

    Returns Argilla's rule applied by hand: 'completed' iff the record has a submitted response."""
    users = [uuid.uuid4(), uuid.uuid4()]
    ws, ds = uuid.uuid4(), uuid.uuid4()
    records = [uuid.uuid4() for _ in range(RECORDS_SEEDED)]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(USERS),
            [
                {"id": u, "first_name": f"u{i}", "username": f"u{i}", "role": "annotator", "api_key": f"k{i}"}
                | {"password_hash": "x", **_stamp(i)}
                for i, u in enumerate(users)
            ],
        )
        conn.execute(sa.insert(WORKSPACES), [{"id": ws, "name": "ws", **_stamp(0)}])
        conn.execute(sa.insert(DATASETS), [{"id": ds, "name": "ds", "status": "ready", "workspace_id": ws, **_stamp(0)}])
        conn.execute(
            sa.insert(RECORDS),
            [
                {"id": r, "fields": {"t": str(i)}, "external_id": f"e{i}", "dataset_id": ds, **_stamp(i)}
                for i, r in enumerate(records)
            ],
        )
        responses = []
        for i, record in enumerate(records):
            # A submitted record also carries another user's draft; the others get a draft, a discarded or nothing.
            statuses = ["submitted", "draft"] if i < submitted else [("draft", "discarded", None)[i % 3]]
            for user, status in zip(users, statuses, strict=False):
                if status is not None:
                    responses.append({"id": uuid.uuid4(), "values": {}, "status": status, "record_id": record, "user_id": user})
        conn.execute(sa.insert(RESPONSES), [{**r, **_stamp(0)} for r in responses])
    return {r: ("completed" if i < submitted else "pending") for i, r in enumerate(records)}


def _statuses(engine: Engine) -> dict[uuid.UUID, str]:
    with engine.connect() as conn:
        return {_uuid(i): str(s) for i, s in conn.execute(sa.text("SELECT id, status FROM records")).all()}


@pytest.mark.parametrize("submitted", [9, 3, 0, RECORDS_SEEDED], ids=["mostly-completed", "mostly-pending", "none", "all"])
def test_back_fill_matches_argillas_rule_schema_and_default(engine: Engine, submitted: int) -> None:
    """A wrong status, a lost row, a default other than 'pending' or a schema differing from Argilla's at this revision."""
    _upgrade(engine, SEEDED_AT)
    expected = _seed(engine, submitted)
    _upgrade(engine, BEFORE)
    _upgrade(engine, REVISION)
    assert _statuses(engine) == expected
    assert not schema_diff(expected_schema(REVISION, engine.dialect.name), _snapshot(engine))
    with engine.begin() as conn:  # a new record takes the column's default: 'pending', as in Argilla
        new = uuid.uuid4()
        ds = conn.execute(sa.text("SELECT id FROM datasets")).scalar_one()
        row = {"id": new, "fields": {}, "external_id": "new", "dataset_id": _uuid(ds), **_stamp(0)}
        conn.execute(sa.insert(RECORDS), [row])
    assert _statuses(engine)[new] == "pending"

    _downgrade(engine, BEFORE)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("records")}
        assert "status" not in columns
        assert conn.execute(sa.text("SELECT count(*) FROM records")).scalar_one() == RECORDS_SEEDED + 1
    _upgrade(engine, REVISION)  # and up again over the same rows: the same answer
    assert _statuses(engine) == {**expected, new: "pending"}

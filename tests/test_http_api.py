"""The HTTP API through create_app(settings) and Litestar's AsyncTestClient, on real PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
from collections.abc import AsyncIterator, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
import structlog
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.core.config import Settings
from service.db import history, locks
from service.db.release_tags import RELEASE_TAGS
from service.ops.migration_lock import MIGRATION_LOCK, MIGRATION_RESOURCE
from service.runtime import open_resources
from tests.support.http import ADMIN, http_settings, leaked, problem_type
from tests.support.postgres import free_port

HEAD = "580a6553186f"
pytestmark = pytest.mark.asyncio
Client = AsyncTestClient[Any]


@pytest.fixture(autouse=True)
def no_secret_logged() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every log line of every test in this module is captured and checked for tokens and passwords."""
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        yield logs
    for entry in logs:
        assert not leaked(json.dumps(entry, default=str)), entry


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return http_settings(database_url, tmp_path)


@pytest_asyncio.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        original = test_client.request

        async def checked(*args: Any, **kwargs: Any) -> Any:
            response = await original(*args, **kwargs)
            assert not leaked(response.text), response.text
            assert not leaked(json.dumps(dict(response.headers))), response.headers
            return response

        test_client.request = checked  # type: ignore[method-assign]
        yield test_client


async def finished(client: Client, operation_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body: dict[str, Any] = (await client.get(f"/operations/{operation_id}", headers=ADMIN)).json()
        if body["status"] in ("succeeded", "failed", "interrupted"):
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.1)


async def migrate(client: Client, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return await client.post("/migrate", json=body or {}, headers={**ADMIN, "Prefer": "wait=60", **headers})


async def test_migrate_answers_202_with_location_then_finishes(client: Client) -> None:
    """POST /migrate starts the work outside the request: 202, Location of the operation, which then succeeds."""
    response = await client.post("/migrate", headers=ADMIN)
    assert response.status_code == 202, response.text
    body = response.json()
    assert response.headers["location"] == f"/operations/{body['id']}"
    assert body["status"] in ("queued", "running", "succeeded") and body["kind"] == "migrate"
    assert body["actor"] == "admin" and "preference-applied" not in response.headers
    done = await finished(client, body["id"])
    assert done["status"] == "succeeded" and done["to_revision"] == HEAD and len(done["steps"]) == 24


async def test_prefer_wait_answers_200_with_the_finished_operation(client: Client) -> None:
    """Prefer: wait=N answers 200 with the finished operation and says Preference-Applied."""
    response = await migrate(client, {"revision": "1.13"})
    assert response.status_code == 200, response.text
    assert response.headers["preference-applied"] == "wait=30"  # capped by ARGILLA_MAINT_MAX_WAIT_SECONDS
    body = response.json()
    assert body["status"] == "succeeded" and body["to_revision"] == RELEASE_TAGS["1.13"]
    assert body["result"]["dry_run"] is False and body["result"]["plan"]["direction"] == "upgrade"


async def test_dry_run_returns_plan_and_sql(client: Client) -> None:
    """A dry run's operation result carries the plan and the SQL, and the database does not move."""
    await migrate(client, {"revision": "1.13"})
    response = await migrate(client, {"dry_run": True})
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["dry_run"] is True and len(result["plan"]["steps"]) == 12
    assert "CREATE TABLE metadata_properties" in result["sql"]
    current = (await client.get("/revisions", headers=ADMIN)).json()["current"]
    assert [c["revision"] for c in current] == [RELEASE_TAGS["1.13"]]


async def test_downgrade_without_flag_is_a_422_carrying_the_plan(client: Client) -> None:
    """A downgrade without allow_downgrade answers 422 downgrade-not-allowed with the plan; no history row is kept."""
    await migrate(client)
    response = await client.post("/migrate", json={"revision": "2.4"}, headers=ADMIN)
    assert response.status_code == 422 and problem_type(response) == "downgrade-not-allowed"
    plan = response.json()["plan"]
    assert plan["direction"] == "downgrade" and [s["revision"] for s in plan["steps"]] == [HEAD, "6ed1b8bf8e08"]
    failed = (await client.get("/operations", params={"status": "failed"}, headers=ADMIN)).json()
    assert failed["total"] == 0  # a refusal did no work: it is the answer, not history
    allowed = await migrate(client, {"revision": "2.4", "allow_downgrade": True})
    assert allowed.status_code == 200 and allowed.json()["to_revision"] == RELEASE_TAGS["2.4"]


async def test_unknown_revision_is_a_422_listing_accepted_tags(client: Client) -> None:
    """An unknown revision or tag answers 422 unknown-revision with the accepted tags as a member."""
    response = await client.post("/migrate", json={"revision": "9.99"}, headers=ADMIN)
    assert response.status_code == 422 and problem_type(response) == "unknown-revision"
    assert response.json()["accepted_tags"] == list(RELEASE_TAGS) and "9.99" in response.json()["detail"]


async def test_idempotency_key_joins_and_refuses_a_different_body(client: Client) -> None:
    """Same key and body give the same operation (no second run); the same key with another body is a 422."""
    first = await client.post("/migrate", json={"revision": "1.13"}, headers={**ADMIN, "Idempotency-Key": "hook-1"})
    again = await client.post(
        "/migrate", json={"revision": "1.13"}, headers={**ADMIN, "Idempotency-Key": "hook-1", "Prefer": "wait=60"}
    )
    assert first.status_code == 202 and again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["status"] == "succeeded"
    other = await client.post("/migrate", json={"revision": "2.0"}, headers={**ADMIN, "Idempotency-Key": "hook-1"})
    assert other.status_code == 422 and problem_type(other) == "idempotency-key-reused"
    assert other.json()["operation_id"] == first.json()["id"]
    assert (await client.get("/operations", headers=ADMIN)).json()["total"] == 1


async def test_migrate_while_another_runs_is_a_409_naming_it(client: Client, settings: Settings) -> None:
    """While another process holds the migration lock with a running operation, POST /migrate answers 409 naming it."""
    assert (await client.get("/operations", headers=ADMIN)).status_code == 200  # creates the history tables
    async with open_resources(settings) as other:
        running, _ = await history.create(
            other.engine,
            kind="migrate",
            actor="other",
            resource=MIGRATION_RESOURCE,
            parameters={},
            holder="elsewhere",
            status="running",
        )
        async with locks.hold(
            other.engine, MIGRATION_LOCK, holder="elsewhere", operation_id=running.record.id, timeout=0, ttl=60
        ):
            response = await client.post("/migrate", headers=ADMIN)
    assert response.status_code == 409 and problem_type(response) == "operation-conflict"
    op_id = running.record.id
    assert response.json()["operation_id"] == op_id and response.json()["operation_url"] == f"/operations/{op_id}"
    assert op_id in response.json()["detail"]


async def test_operations_list_filters_paginates_and_404s(client: Client) -> None:
    """GET /operations is newest first, filters by kind and status, pages with limit/offset; unknown ids are 404."""
    ids = [(await migrate(client, {"revision": tag})).json()["id"] for tag in ("1.11", "1.13", "2.0")]
    await client.post("/migrate", json={"revision": "nope"}, headers=ADMIN)
    page = (await client.get("/operations", params={"limit": 2, "offset": 1, "status": "succeeded"}, headers=ADMIN)).json()
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 1
    assert [op["id"] for op in page["items"]] == [ids[1], ids[0]]
    assert (await client.get("/operations", params={"kind": "reindex"}, headers=ADMIN)).json()["total"] == 0
    assert (await client.get("/operations", params={"status": "failed"}, headers=ADMIN)).json()["total"] == 0  # refused
    bad = await client.get("/operations", params={"limit": 0}, headers=ADMIN)
    assert bad.status_code == 400 and problem_type(bad) == "invalid-request"
    missing = await client.get("/operations/does-not-exist", headers=ADMIN)
    assert missing.status_code == 404 and problem_type(missing) == "operation-not-found"


async def test_livez_and_readyz(client: Client) -> None:
    """Health endpoints answer without a token and show nothing but their status and the service's version."""
    live, ready = await client.get("/livez"), await client.get("/readyz")
    version = importlib.metadata.version("argilla-maintenance")
    assert live.status_code == 200 and live.json() == {"status": "ok", "version": version, "checks": {}}
    assert live.headers["x-argilla-maintenance-version"] == version
    assert ready.status_code == 200 and ready.json()["status"] == "ok" and ready.json()["checks"]["database"] == "ok"


async def test_readyz_is_a_503_problem_when_the_database_is_unreachable(postgres_server: str, tmp_path: Path) -> None:
    """An unreachable database gives readyz 503 database-unavailable, with the URL's password masked."""
    url = sa.make_url(postgres_server).set(port=1, password="s3cr3t-pass").render_as_string(hide_password=False)
    async with AsyncTestClient(create_app(http_settings(url, tmp_path))) as client:
        response = await client.get("/readyz")
        revisions = await client.get("/revisions", headers=ADMIN)
    assert response.status_code == 503 and problem_type(response) == "database-unavailable"
    assert revisions.status_code == 503 and "***" in revisions.json()["detail"]
    assert not leaked(response.text + revisions.text)


async def test_readyz_stays_ready_when_only_the_search_engine_is_down(postgres_url: str, tmp_path: Path) -> None:
    """A configured but unreachable search engine is reported, yet readyz stays 200 (migrations do not need it)."""
    settings = http_settings(postgres_url, tmp_path, ARGILLA_ELASTICSEARCH=f"http://127.0.0.1:{free_port()}")
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "search_engine": "unavailable"}


async def test_metrics_expose_operations_requests_and_lock_waits(client: Client) -> None:
    """/metrics is Prometheus text with operation outcomes and durations, HTTP requests by route and lock waits."""
    await migrate(client, {"revision": "1.13"})
    await client.get("/operations/nope", headers=ADMIN)
    response = await client.get("/metrics", headers=ADMIN)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'argilla_maint_operations_total{kind="migrate",outcome="succeeded"} 1' in text
    assert 'argilla_maint_operation_duration_seconds_count{kind="migrate"} 1' in text
    assert 'argilla_maint_http_requests_total{method="GET",route="/operations/{operation_id}",status="404"} 1' in text
    assert 'argilla_maint_http_requests_total{method="POST",route="/migrate",status="200"} 1' in text
    assert "argilla_maint_lock_wait_seconds_count 1" in text
    assert "# TYPE argilla_maint_http_request_duration_seconds histogram" in text


@pytest.mark.parametrize(
    ("content", "content_type", "status", "slug"),
    [
        (b'{"revision": ', "application/json", 400, "malformed-json"),
        (b'{"revison": "head"}', "application/json", 422, "invalid-body"),
        (b'{"dry_run": "yes"}', "application/json", 422, "invalid-body"),
        (b"revision=head", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (b'{"revision": "' + b"x" * 70_000 + b'"}', "application/json", 413, "body-too-large"),
    ],
)
async def test_body_failures_have_their_own_problem_type(
    client: Client, content: bytes, content_type: str, status: int, slug: str
) -> None:
    """Each way a POST body can be wrong answers its own status and problem type, and starts nothing."""
    response = await client.post("/migrate", content=content, headers={**ADMIN, "Content-Type": content_type})
    assert response.status_code == status and problem_type(response) == slug, response.text
    body = response.json()
    assert body["status"] == status and body["title"] and body["instance"] == "/migrate"
    if slug == "invalid-body":
        assert body["field"] in ("revison", "dry_run")
    assert (await client.get("/operations", headers=ADMIN)).json()["total"] == 0


async def test_routing_errors_are_problems_and_request_ids_are_echoed(client: Client) -> None:
    """Unknown routes and methods are problems too; a sane X-Request-ID is echoed, an insane one replaced."""
    missing = await client.get("/nowhere", headers={**ADMIN, "X-Request-ID": "req-123"})
    assert missing.status_code == 404 and problem_type(missing) == "route-not-found"
    assert missing.headers["x-request-id"] == "req-123"
    wrong = await client.delete("/migrate", headers={**ADMIN, "X-Request-ID": "bad id\twith spaces"})
    assert wrong.status_code == 405 and problem_type(wrong) == "method-not-allowed"
    assert wrong.headers["x-request-id"] != "bad id\twith spaces" and len(wrong.headers["x-request-id"]) == 32


async def test_log_lines_carry_request_and_operation_ids(client: Client, no_secret_logged: list[dict[str, Any]]) -> None:
    """Every line of a request carries its request id; the operation's summary line carries both ids."""
    response = await migrate(client, {"revision": "1.13"}, **{"X-Request-ID": "trace-42"})
    summary = [e for e in no_secret_logged if e["event"] == "operation finished"]
    assert summary and summary[0]["request_id"] == "trace-42" and summary[0]["operation_id"] == response.json()["id"]
    requests = [e for e in no_secret_logged if e["event"] == "request" and e.get("request_id") == "trace-42"]
    assert requests and requests[0]["route"] == "/migrate" and requests[0]["status"] == 200

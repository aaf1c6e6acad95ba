"""Bad HTTP input is a 4xx problem (NUL bytes, non-UUID ids, unknown statuses), slow or vanishing clients are handled."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.support.http import ADMIN, ADMIN_TOKEN, READER, Served, http_settings, problem_type, served

Client = AsyncTestClient[Any]


@pytest_asyncio.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(http_settings(database_url, tmp_path))) as test_client:
        yield test_client


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/operations/%00"),
        ("GET", "/operations/abc%00def"),
        ("GET", "/operations?kind=%00"),
        ("GET", "/operations?kind=migrate%01"),
        ("POST", "/reindex/%00"),
        ("GET", "/revisions?x=%00"),
    ],
)
async def test_nul_and_control_characters_are_a_400_problem(client: Client, method: str, path: str) -> None:
    """PostgreSQL refuses NUL in text: without the early check these reach the database and answer 500."""
    response = await client.request(method, path, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert problem_type(response) == "invalid-request"
    assert "control character" in response.json()["detail"]


@pytest.mark.asyncio
@pytest.mark.parametrize("dataset_id", ["not-a-uuid", "a" * 130, "3fa85f64-5717-4562-b3fc-2c963f66afa6" + "0" * 100])
async def test_reindex_of_a_non_uuid_is_a_422_before_the_engine_is_needed(client: Client, dataset_id: str) -> None:
    """No search engine is configured here: validating after the engine check would answer 503 (and long ids 500)."""
    response = await client.post(f"/reindex/{dataset_id}", headers=ADMIN)
    assert response.status_code == 422, response.text
    assert problem_type(response) == "invalid-dataset-id"
    assert "UUID" in response.json()["detail"]
    listed = (await client.get("/operations?kind=reindex", headers=ADMIN)).json()
    assert listed["total"] == 0  # refused before anything was recorded


@pytest.mark.asyncio
async def test_a_long_dataset_list_is_answered_not_a_500(client: Client, database_url: str, tmp_path: Path) -> None:
    """History's resource column holds 128 characters: a long list of datasets is cut there, never a 500."""
    names = [f"workspace-{i:02d}/dataset-with-a-long-name-{i:02d}" for i in range(20)]
    response = await client.post("/legacy/labels", headers=ADMIN, json={"datasets": names})
    assert response.status_code == 503, response.text  # no search engine configured here: the documented answer
    assert problem_type(response) == "search-engine-unavailable"
    from service.db import history
    from service.db.engine import create_engine

    engine = create_engine(http_settings(database_url, tmp_path))
    try:
        stored, _ = await history.create(
            engine, kind="legacy-labels", actor="t", resource="legacy:" + ",".join(names), parameters={}, holder="h"
        )
    finally:
        await engine.dispose()
    assert len(stored.record.resource) == 128 and stored.record.resource.endswith("…")


@pytest.mark.asyncio
async def test_an_out_of_range_page_says_the_accepted_range(client: Client) -> None:
    """limit and offset outside their range: 400 naming the parameter and the bound, never echoing the value."""
    for query, bound in (("limit=0", ">= 1"), ("limit=100000", "<= 500"), ("offset=-1", ">= 0")):
        response = await client.get(f"/operations?{query}", headers=ADMIN)
        assert response.status_code == 400, response.text
        assert bound in response.json()["detail"] and query.split("=")[0] in response.json()["invalid_parameters"]
        assert query.split("=")[1] not in response.json()["detail"].replace(bound, "")


@pytest.mark.asyncio
async def test_unknown_status_filter_lists_the_accepted_values(client: Client) -> None:
    """`?status=bogus` must say which statuses exist, not just that the parameter is wrong."""
    response = await client.get("/operations?status=bogus", headers=ADMIN)
    assert response.status_code == 400 and problem_type(response) == "invalid-request"
    assert "queued, running, succeeded, failed, interrupted" in response.json()["detail"]
    assert (await client.get("/operations?status=failed", headers=ADMIN)).status_code == 200


@pytest.mark.asyncio
async def test_unknown_kind_filter_lists_the_accepted_kinds(client: Client) -> None:
    """`?kind=bogus` is a 400 naming every kind, not an empty page that looks like "no such operations"."""
    response = await client.get("/operations?kind=bogus", headers=ADMIN)
    assert response.status_code == 400 and problem_type(response) == "invalid-request"
    assert "migrate, reindex, legacy-labels, legacy-workspaces" in response.json()["detail"]
    for kind in ("migrate", "reindex", "legacy-labels", "legacy-workspaces"):
        assert (await client.get(f"/operations?kind={kind}", headers=ADMIN)).status_code == 200


@pytest.mark.asyncio
async def test_api_description_needs_a_token_of_any_scope(client: Client) -> None:
    """Decided: /schema and /schema/openapi.json are behind the guard (a read token is enough)."""
    for path in ("/schema", "/schema/openapi.json"):
        anonymous = await client.get(path)
        assert anonymous.status_code == 401 and problem_type(anonymous) == "unauthorized"
        assert (await client.get(path, headers=READER)).json()["openapi"].startswith("3.")
    assert (await client.get("/livez")).status_code == 200  # liveness and readiness stay anonymous


def _http_requests(metrics_text: str, route: str, status: str) -> float:
    total = 0.0
    for line in metrics_text.splitlines():
        if line.startswith("argilla_maint_http_requests_total{") and f'route="{route}"' in line and f'status="{status}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _closed_by_server(slow: list[socket.socket], seconds: float) -> tuple[set[int], float]:
    """Keep trickling header bytes on each connection; return those the server closed, and the time taken."""
    started = time.monotonic()
    closed: set[int] = set()
    while len(closed) < len(slow) and time.monotonic() - started < seconds:
        for n, conn in enumerate(slow):
            if n not in closed and _closed(conn):
                closed.add(n)
        time.sleep(0.2)
    return closed, time.monotonic() - started


def _closed(conn: socket.socket) -> bool:
    try:
        conn.sendall(b"X-Slow: 1\r\n")  # a header byte now and then: resets no deadline
        conn.settimeout(0.05)
        return conn.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def _abandon_posts(port: int, count: int) -> None:
    """Send ``count`` POSTs that announce a body and leave after a few bytes of it."""
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(
                f"POST /migrate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"revis'.encode()
            )
            time.sleep(0.3)


def _metrics_once_counted(server: Served, status: str, count: int) -> str:
    deadline = time.monotonic() + 10
    while True:
        text = httpx.get(f"{server.url}/metrics", headers=ADMIN, timeout=5).text
        if _http_requests(text, "/migrate", status) >= count or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def test_slow_header_clients_are_disconnected_and_a_mid_body_disconnect_is_not_a_500(tmp_path: Path) -> None:
    """Without a header deadline, trickling clients hold connections forever; a vanished client counted as a 500 pages someone."""
    with served(f"sqlite:///{tmp_path / 'argilla.db'}", tmp_path, ARGILLA_MAINT_HEADER_TIMEOUT_SECONDS="1") as server:
        port = int(server.url.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(30)]
        for conn in slow:
            conn.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
        closed, elapsed = _closed_by_server(slow, 8)
        for conn in slow:
            conn.close()
        assert len(closed) == len(slow), f"{len(slow) - len(closed)} slow-header connections still open after {elapsed:.1f}s"
        assert httpx.get(f"{server.url}/livez", timeout=5).status_code == 200  # normal clients unaffected

        _abandon_posts(port, 3)
        text = _metrics_once_counted(server, "499", 3)
        assert _http_requests(text, "/migrate", "499") == 3, text
        assert _http_requests(text, "/migrate", "500") == 0, text

"""The admin-token guard: every endpoint with no token, a wrong token, a read token and an admin token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import structlog
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.cli.exit_codes import CONFIGURATION
from service.cli.main import cli
from service.core.config import load_settings
from service.core.errors import ConfigurationError
from tests.support.http import ADMIN, ADMIN_TOKEN, READER, http_settings, leaked, problem_type

Client = AsyncTestClient[Any]
WRONG = {"Authorization": "Bearer not-a-valid-token-at-all"}
# (method, path, public, status with an admin token)
ENDPOINTS = [
    ("GET", "/revisions", False, 200),
    ("POST", "/migrate", False, 202),
    ("GET", "/operations", False, 200),
    ("GET", "/operations/unknown-id", False, 404),
    ("GET", "/metrics", False, 200),
    ("GET", "/livez", True, 200),
    ("GET", "/readyz", True, 200),
    ("GET", "/schema/openapi.json", False, 200),  # decided: the served spec needs a token (any scope)
    ("GET", "/schema", False, 200),
]


@pytest.fixture(autouse=True)
def no_secret_logged() -> Iterator[None]:
    """No token ever reaches a log line, whatever the guard decided."""
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        yield
    assert not [entry for entry in logs if leaked(json.dumps(entry, default=str))]


@pytest_asyncio.fixture
async def client(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(http_settings(sqlite_url, tmp_path))) as test_client:
        yield test_client


async def call(client: Client, method: str, path: str, headers: dict[str, str]) -> Any:
    body = {"dry_run": True} if method == "POST" else None
    response = await client.request(method, path, headers=headers, json=body)
    assert not leaked(response.text)
    return response


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path", "public", "admin_status"), ENDPOINTS)
async def test_auth_matrix(client: Client, method: str, path: str, public: bool, admin_status: int) -> None:
    """Protected endpoints need a valid token (401 + WWW-Authenticate otherwise); read tokens cannot POST (403)."""
    for headers in ({}, WRONG, {"Authorization": ADMIN_TOKEN}):
        response = await call(client, method, path, headers)
        if public:
            assert response.status_code == 200
            continue
        assert response.status_code == 401 and problem_type(response) == "unauthorized", response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "ARGILLA_MAINT_TOKENS" in response.json()["detail"], response.text  # says where tokens come from
    read = await call(client, method, path, READER)
    if method == "POST":
        assert read.status_code == 403 and problem_type(read) == "forbidden"
    else:
        assert read.status_code == admin_status, read.text
    admin = await call(client, method, path, ADMIN)
    assert admin.status_code == admin_status, admin.text


@pytest.mark.asyncio
async def test_actor_is_the_token_name_and_metrics_can_be_public(sqlite_url: str, tmp_path: Path) -> None:
    """History records the token's name as actor; ARGILLA_MAINT_METRICS_PUBLIC opens /metrics only."""
    settings = http_settings(sqlite_url, tmp_path, ARGILLA_MAINT_METRICS_PUBLIC="true")
    async with AsyncTestClient(create_app(settings)) as client:
        started = await client.post("/migrate", json={"dry_run": True}, headers={**ADMIN, "Prefer": "wait=30"})
        assert started.status_code == 200 and started.json()["actor"] == "admin"
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/operations")).status_code == 401


def test_app_refuses_to_start_without_tokens(sqlite_url: str, tmp_path: Path) -> None:
    """With no token configured the app is not built: a ConfigurationError naming the variables and --dev."""
    settings = load_settings({"ARGILLA_DATABASE_URL": sqlite_url, "ARGILLA_HOME_PATH": str(tmp_path)})
    with pytest.raises(ConfigurationError) as refused:
        create_app(settings)
    assert "ARGILLA_MAINT_TOKENS" in refused.value.detail and "--dev" in refused.value.detail
    result = CliRunner().invoke(
        cli, ["serve"], env={"ARGILLA_DATABASE_URL": sqlite_url, "ARGILLA_HOME_PATH": str(tmp_path), "ARGILLA_MAINT_TOKENS": ""}
    )
    # Missing tokens are bad configuration: the "final" exit code (service/cli/exit_codes.py), not a retryable one.
    assert result.exit_code == CONFIGURATION and "Error: no API token configured" in result.output


def test_short_tokens_are_refused_at_load() -> None:
    """A token shorter than 16 characters stops the service at start-up, without echoing the token."""
    with pytest.raises(ConfigurationError) as refused:
        load_settings({"ARGILLA_MAINT_TOKENS": "ops:tooShort123"})
    assert "16" in refused.value.detail and "tooShort123" not in refused.value.detail

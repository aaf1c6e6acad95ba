"""schemathesis at 1,000 cases per operation against a served app with a real search node: zero server errors."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from tests.conftest import IN_CI
from tests.support.http import ADMIN, Served, served
from tests.support.search_nodes import SearchNodeError, engines_from_env, running_node

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
schema = schemathesis.openapi.from_path(str(SPEC))
CASES_PER_OPERATION = 1000


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A served app on SQLite at head with the first configured search engine, so reindex runs for real."""
    engine, version = engines_from_env()[0]
    home = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{home / 'argilla.db'}"
    with contextlib.ExitStack() as stack:
        try:
            node = stack.enter_context(running_node(engine, version))
        except (SearchNodeError, OSError) as exc:
            if IN_CI:
                pytest.fail(f"{engine} {version} node did not start: {exc}", pytrace=False)
            pytest.skip(f"{engine} {version} node did not start: {exc}")
        cli = Path(sys.executable).parent / "argilla-maint"
        subprocess.run(
            [str(cli), "database", "migrate"],
            env={"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": str(home), "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
        )
        yield stack.enter_context(
            served(
                url,
                home,
                ARGILLA_ELASTICSEARCH=node.url,
                ARGILLA_SEARCH_ENGINE=engine,
                ARGILLA_MAINT_MAX_WAIT_SECONDS="0",
                ARGILLA_MAINT_LOG_LEVEL="WARNING",
            )
        )


@schema.parametrize()
@settings(
    max_examples=CASES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found: shrinking 1,000-case runs costs minutes
)
def test_a_thousand_cases_per_operation_find_no_server_error(case: schemathesis.Case[Any], fuzzed_server: Served) -> None:
    """Any 5xx (a NUL byte reaching SQL, an unvalidated id, an untranslated driver error) or undocumented answer fails."""
    response = case.call(base_url=fuzzed_server.url, headers=ADMIN, timeout=30)
    case.validate_response(
        response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
    )

"""The argilla-maint CLI: output sections, JSON shape, exit codes, secrets, and cross-process locking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from service.cli import exit_codes
from service.cli.main import cli

HEAD = "580a6553186f"


def run_cli(args: list[str], url: str, home: Path) -> tuple[int, str, str]:
    runner = CliRunner()
    env = {"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": str(home), "ARGILLA_MAINT_LOG_LEVEL": "WARNING"}
    result = runner.invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_revisions_prints_three_sections(database_url: str, tmp_path: Path) -> None:
    """`database revisions` shows tags, the chain newest first with (head), and the current revision."""
    code, out, _ = run_cli(["database", "revisions"], database_url, tmp_path)
    assert code == 0
    tagged, chain, current = out.index("Tagged revisions"), out.index("Alembic revisions"), out.index("Current revision")
    assert tagged < chain < current
    assert "• 1.13 (revision: '1e629a913727')" in out and "• 2.5 (revision: '580a6553186f')" in out
    assert f"6ed1b8bf8e08 -> {HEAD} (head), add datasets_users table" in out
    assert "<base> -> 74694870197c, create users table" in out
    assert "(none: the database has no alembic_version" in out


def test_migrate_then_revisions_json(database_url: str, tmp_path: Path) -> None:
    """`migrate` reaches head and `revisions --json` reports it with the masked URL and the dialect."""
    code, out, _ = run_cli(["database", "migrate"], database_url, tmp_path)
    assert code == 0 and "succeeded" in out
    code, out, _ = run_cli(["database", "revisions", "--json"], database_url, tmp_path)
    data = json.loads(out)
    assert data["current"][0]["revision"] == HEAD and data["current"][0]["is_head"] is True
    assert data["heads"] == [HEAD] and len(data["revisions"]) == 24
    assert data["dialect"] in {"sqlite", "postgresql"}
    assert "postgres:postgres@" not in out


def test_domain_errors_are_one_line_exit_1(database_url: str, tmp_path: Path) -> None:
    """Unknown targets and refused downgrades print `Error: ...` and exit 1 (final); nothing changes."""
    code, _, err = run_cli(["database", "migrate", "--revision", "9.9"], database_url, tmp_path)
    assert code == exit_codes.FAILED and err.strip().splitlines()[-1].startswith("Error: unknown revision or release tag '9.9'")
    assert "1.7, 1.8, 1.11" in err
    assert run_cli(["database", "migrate", "--revision", "2.0"], database_url, tmp_path)[0] == 0
    code, _, err = run_cli(["database", "migrate", "--revision", "1.13"], database_url, tmp_path)
    assert code == exit_codes.FAILED and "drops table vectors" in err and "Error: going from 237f7c674d74 to 1e629a913727" in err
    code, out, _ = run_cli(["operations", "list", "--json"], database_url, tmp_path)
    statuses = [item["status"] for item in json.loads(out)["items"]]
    assert statuses == ["succeeded"]  # refusals did no work: answered, logged, not kept in history


def test_usage_errors_exit_2(sqlite_url: str, tmp_path: Path) -> None:
    """A bad option value is a usage error (exit 2), not a domain error."""
    code, _, _ = run_cli(["database", "migrate", "--lock-timeout", "-1"], sqlite_url, tmp_path)
    assert code == 2


def test_unreachable_database_never_prints_password(postgres_server: str, tmp_path: Path) -> None:
    """The database-unreachable error shows the URL with *** instead of the password, and exits TRANSIENT (retry may pass)."""
    url = sa.make_url(postgres_server).set(port=1, password="TopSecret-9").render_as_string(hide_password=False)
    for args in (["database", "revisions"], ["database", "migrate"], ["operations", "list"]):
        code, out, err = run_cli(args, url, tmp_path)
        assert code == exit_codes.TRANSIENT and "TopSecret-9" not in out + err and "***" in err


def test_rejected_credentials_and_malformed_urls_exit_configuration(postgres_server: str, tmp_path: Path) -> None:
    """A database that refuses the password or has no such database, or a URL of no accepted form, exits 3 (final)."""
    wrong_password = sa.make_url(postgres_server).set(password="not-the-password").render_as_string(hide_password=False)
    no_database = sa.make_url(postgres_server).set(database="no_such_database").render_as_string(hide_password=False)
    for url in (wrong_password, no_database, "mysql://user:pw@127.0.0.1/argilla"):
        code, out, err = run_cli(["database", "migrate"], url, tmp_path)
        assert code == exit_codes.CONFIGURATION, (url, err)
        assert err.strip().splitlines()[-1].startswith("Error: ") and "not-the-password" not in out + err


def test_two_processes_migrate_exactly_one_runs(database_url: str, tmp_path: Path) -> None:
    """Two concurrent `migrate` processes: one applies the steps, the other is refused or finds nothing to do."""
    env = {
        **os.environ,
        "ARGILLA_DATABASE_URL": database_url,
        "ARGILLA_HOME_PATH": str(tmp_path),
        "ARGILLA_MAINT_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-c", "from service.cli.main import main; main()", "database", "migrate", "--json"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    applied = [json.loads(out)["operation"]["steps"] for (out, _), code in zip(outputs, codes, strict=True) if code == 0]
    assert sum(1 for steps in applied if steps) == 1, outputs
    for (_, err), code in zip(outputs, codes, strict=True):
        if code != 0:
            assert code == exit_codes.TRANSIENT and ("holds this database" in err or "holds the database lock" in err), err
    code, out, _ = run_cli(["database", "revisions", "--json"], database_url, tmp_path)
    assert json.loads(out)["current"][0]["revision"] == HEAD


@pytest.mark.parametrize("target", ["1.13", "head"])
def test_dry_run_prints_sql_and_changes_nothing(sqlite_url: str, tmp_path: Path, target: str) -> None:
    """`--dry-run` prints the plan and SQL; the database stays without a revision."""
    code, out, _ = run_cli(["database", "migrate", "--revision", target, "--dry-run"], sqlite_url, tmp_path)
    assert code == 0 and "CREATE TABLE users" in out and "nothing was changed" in out
    code, out, _ = run_cli(["database", "revisions", "--json"], sqlite_url, tmp_path)
    assert json.loads(out)["current"] == []


def test_history_marks_dry_runs_and_shows_mappings_as_json(sqlite_url: str, tmp_path: Path) -> None:
    """`operations list` tells a dry run from a migration; `operations show` prints JSON values, SQL as a block."""
    assert run_cli(["database", "migrate", "--revision", "1.13", "--dry-run"], sqlite_url, tmp_path)[0] == 0
    assert run_cli(["database", "migrate", "--revision", "1.13"], sqlite_url, tmp_path)[0] == 0
    code, out, _ = run_cli(["operations", "list"], sqlite_url, tmp_path)
    real, dry = out.splitlines()[:2]  # newest first
    assert code == 0 and dry.endswith("(dry run)") and "dry run" not in real, out
    code, out, _ = run_cli(["operations", "show", dry.split()[0]], sqlite_url, tmp_path)
    assert code == 0
    lines = out.splitlines()
    assert "parameters:" in lines and "  dry_run: true" in lines, out
    assert "  sql: |" in lines and any(line.startswith("    CREATE TABLE users") for line in lines), out
    assert "{'" not in out and "True" not in out  # no Python reprs
    plan = next(line for line in lines if line.startswith("  plan: "))
    assert json.loads(plan.removeprefix("  plan: "))["to_revision"], plan


def test_exit_codes_tell_final_from_transient(sqlite_url: str, tmp_path: Path) -> None:
    """Bad settings exit CONFIGURATION, a refused request FAILED: a Job's podFailurePolicy can tell them from TRANSIENT."""
    runner = CliRunner()
    env = {"ARGILLA_DATABASE_URL": sqlite_url, "ARGILLA_HOME_PATH": str(tmp_path), "ARGILLA_MAINT_LOCK_TTL": "soon"}
    result = runner.invoke(cli, ["database", "migrate"], env=env, catch_exceptions=False)
    assert result.exit_code == exit_codes.CONFIGURATION and "ARGILLA_MAINT_LOCK_TTL" in result.stderr
    code, _, _ = run_cli(["operations", "show", "no-such-operation"], sqlite_url, tmp_path)
    assert code == exit_codes.FAILED


def test_a_command_that_needs_a_search_engine_and_has_none_is_a_configuration_error(sqlite_url: str, tmp_path: Path) -> None:
    """No ARGILLA_ELASTICSEARCH at all: exit CONFIGURATION (final), one line naming the variable; a retry cannot pass."""
    assert run_cli(["database", "migrate"], sqlite_url, tmp_path)[0] == 0
    for args in (["search-engine", "reindex"], ["legacy", "status"]):
        code, _, err = run_cli(args, sqlite_url, tmp_path)
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == exit_codes.CONFIGURATION, (args, err)
        assert (
            len(lines) == 1 and lines[0].startswith("Error: no search engine configured") and "ARGILLA_ELASTICSEARCH" in lines[0]
        )


def test_a_migration_prints_its_header_before_its_steps_and_no_log_lines(sqlite_url: str, tmp_path: Path) -> None:
    """The CLI says what it will do before the steps run, and its stderr holds no log line unless asked for."""
    env = {"ARGILLA_DATABASE_URL": sqlite_url, "ARGILLA_HOME_PATH": str(tmp_path), "ARGILLA_MAINT_LOG_LEVEL": None}
    result = CliRunner().invoke(cli, ["database", "migrate", "--revision", "1.13"], env=env, catch_exceptions=False)
    code, out, err = result.exit_code, result.stdout, result.stderr
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Migrating: upgrade, ") and lines[1].lstrip().startswith("step 1/")
    assert lines[-2].startswith("Done: upgrade <base> -> ") and lines[-1].startswith("Operation ")
    assert err.strip() == "", err

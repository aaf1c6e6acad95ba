"""The spec's problem responses are generated from the error classes, and every class is accounted for."""

from __future__ import annotations

import pytest

from service.core import errors
from service.http.openapi import PROBLEMS, problem_responses
from tests.support.error_tree import error_classes

pytestmark = pytest.mark.unit
# Errors that never reach an HTTP client as a problem body, and why.
NEVER_A_PROBLEM = {
    errors.ConfigurationError: "raised at start-up, before the app serves",
    errors.NotFound: "a base class; its subclasses are the answers",
    errors.MigrationFailed: "recorded in the operation's error (the POST already answered 202)",
    errors.IntegrityCheckFailed: "recorded in the operation's error (the POST already answered 202)",
    errors.ReindexFailed: "recorded in the operation's error (the POST already answered 202)",
    errors.ClientDisconnected: "the client left before the answer; only metrics and logs see it",
}


def test_every_error_class_is_documented_by_some_operation_or_explained() -> None:
    """A new error class must be added to the operations that raise it (or here, with the reason it never is)."""
    documented = {cls for classes in PROBLEMS.values() for cls in classes}
    missing = [cls.__name__ for cls in error_classes() if cls not in documented and cls not in NEVER_A_PROBLEM]
    assert missing == []
    assert not documented & set(NEVER_A_PROBLEM)


def test_responses_group_errors_by_status_and_name_each_slug_and_title() -> None:
    """Two errors with one status share one response whose description names both; statuses come from the classes."""
    responses = problem_responses((errors.UnknownRevision, errors.InvalidBody, errors.OperationConflict))
    assert sorted(responses) == ["409", "422"]
    assert responses["422"]["description"] == (
        "Body does not match the schema (unknown field or wrong type) (`invalid-body`); "
        "Unknown revision or release tag (`unknown-revision`)"
    )
    assert responses["409"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}

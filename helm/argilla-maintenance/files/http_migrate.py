"""Helm hook (migration.mode=http): migrate through the service's API, bounded at every step.

1. Wait (HOOK_READY_TIMEOUT_SECONDS) until /livez answers with this release's version several times in a
   row, so the request reaches the new code, not an old pod still behind the Service.
2. POST /migrate with the Job's UID as Idempotency-Key: a retried pod of the same Job joins its operation;
   a new Job (a new upgrade, a reinstall, an Argo CD sync) never replays an old one.
3. Poll the operation's Location until it is terminal; print the problem or the operation's error.

Exit statuses follow argilla-maint's: 0 done, 1 refused or failed, 3 configuration (final); 75 transient (retried).
Only the standard library: it runs in the release's image with the service's own Python.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

FAILED, CONFIGURATION, TRANSIENT = 1, 3, 75
VERSION_HEADER = "x-argilla-maintenance-version"
SAME_VERSION_IN_A_ROW = 5
REQUEST_TIMEOUT = 10.0


def say(message: str) -> None:
    print(f"http-migrate: {message}", flush=True)


def fail(code: int, message: str) -> None:
    say(message)
    sys.exit(code)


def setting(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        fail(CONFIGURATION, f"{name} is not set")
    return value


def token_from(path: str, name: str) -> str:
    """The token of the line ``name:token[:read]`` in the tokens file the service reads too."""
    try:
        lines = open(path, encoding="utf-8").read().splitlines()  # noqa: SIM115 - a one-shot read
    except OSError as exc:
        fail(CONFIGURATION, f"cannot read the tokens file {path}: {exc.strerror}")
    for line in lines:
        parts = line.strip().split(":")
        if len(parts) >= 2 and parts[0] == name:
            if len(parts) == 3 and parts[2] == "read":
                fail(CONFIGURATION, f"token {name!r} is read-only; the hook needs an admin token to POST /migrate")
            return parts[1]
    fail(CONFIGURATION, f"no line named {name!r} in the tokens file (expected {name}:<token>)")
    raise AssertionError  # unreachable: fail() exits


def call(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - http(s) from values
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, raw, got = exc.code, exc.read(), exc.headers
    text = raw.decode("utf-8", "replace")
    try:
        payload: Any = json.loads(text) if text else None
    except ValueError:
        payload = text
    return status, {k.lower(): v for k, v in got.items()}, payload


def wait_for_version(base: str, expected: str, deadline: float) -> None:
    in_a_row, last = 0, "no answer yet"
    while time.monotonic() < deadline:
        try:
            status, headers, body = call("GET", f"{base}/livez", {})
            seen = headers.get(VERSION_HEADER) or (body.get("version") if isinstance(body, dict) else None)
            last = f"HTTP {status}, version {seen}"
            in_a_row = in_a_row + 1 if status == 200 and seen == expected else 0
        except OSError as exc:
            in_a_row, last = 0, f"unreachable ({exc})"
        if in_a_row >= SAME_VERSION_IN_A_ROW:
            say(f"the service answers with version {expected}")
            return
        time.sleep(1)
    fail(TRANSIENT, f"the service did not answer with version {expected} in time (last: {last})")


def exit_for_problem(status: int, problem: Any) -> None:
    """409 (another operation holds the database), 429 and 502-504 may pass later; other statuses will not."""
    detail = json.dumps(problem) if not isinstance(problem, str) else problem
    if status in (409, 429, 502, 503, 504):
        fail(TRANSIENT, f"HTTP {status}, will retry: {detail}")
    fail(FAILED, f"HTTP {status}, will not pass on a retry: {detail}")


def main() -> None:
    base = setting("HOOK_BASE_URL").rstrip("/")
    expected = setting("HOOK_EXPECT_VERSION")
    job_uid = setting("HOOK_JOB_UID")
    token = token_from(setting("HOOK_TOKENS_FILE"), setting("HOOK_TOKEN_NAME"))
    revision = setting("HOOK_REVISION")
    ready_timeout = float(os.environ.get("HOOK_READY_TIMEOUT_SECONDS", "120"))
    poll = float(os.environ.get("HOOK_POLL_SECONDS", "2"))
    wait_for_version(base, expected, time.monotonic() + ready_timeout)

    auth = {"Authorization": f"Bearer {token}"}
    headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": f"job-{job_uid}", "Prefer": "wait=10"}
    body = json.dumps({"revision": revision}).encode()
    try:
        status, got, payload = call("POST", f"{base}/migrate", headers, body)
    except OSError as exc:
        fail(TRANSIENT, f"POST /migrate: service unreachable ({exc})")
    if got.get(VERSION_HEADER) != expected:
        say(f"warning: POST /migrate was answered by version {got.get(VERSION_HEADER)}, not {expected}")
    if status not in (200, 201, 202):
        exit_for_problem(status, payload)
    location = got.get("location") or f"/operations/{payload['id']}"
    say(f"operation {location} (Idempotency-Key job-{job_uid})")
    operation = payload if isinstance(payload, dict) else {}
    while operation.get("status") not in ("succeeded", "failed", "interrupted"):
        time.sleep(poll)
        try:
            status, _, operation = call("GET", f"{base}{location}", auth)
        except OSError as exc:
            say(f"polling {location}: unreachable ({exc}); retrying")
            continue
        if status != 200:
            exit_for_problem(status, operation)
        say(f"status {operation.get('status')}")
    if operation["status"] == "succeeded":
        say(f"migrated {operation.get('from_revision')} -> {operation.get('to_revision')}")
        return
    error = json.dumps(operation.get("error"))
    fail(FAILED if operation["status"] == "failed" else TRANSIENT, f"operation {operation['status']}: {error}")


if __name__ == "__main__":
    main()

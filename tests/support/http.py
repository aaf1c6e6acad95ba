"""Helpers of the HTTP tests: settings with tokens, a served ``argilla-maint serve`` process, secret checks."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from service.core.config import Settings, load_settings
from tests.support.postgres import free_port

ADMIN_TOKEN = "admin-token-7f3a9c2e5b1d"
READ_TOKEN = "reader-token-4d8e2a6c9f0b"
TOKENS_ENV = f"admin:{ADMIN_TOKEN},reader:{READ_TOKEN}:read"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
READER = {"Authorization": f"Bearer {READ_TOKEN}"}
# Strings that must never reach a log line or a response body.
SECRETS = (ADMIN_TOKEN, READ_TOKEN, ":postgres@", "s3cr3t-pass")


def env_for(url: str, home: Path, **extra: str) -> dict[str, str]:
    return {
        "ARGILLA_DATABASE_URL": url,
        "ARGILLA_HOME_PATH": str(home),
        "ARGILLA_MAINT_TOKENS": TOKENS_ENV,
        "ARGILLA_MAINT_MAX_WAIT_SECONDS": "30",
        "ARGILLA_MAINT_SHUTDOWN_GRACE_SECONDS": "5",
        **extra,
    }


def http_settings(url: str, home: Path, **extra: str) -> Settings:
    return load_settings(env_for(url, home, **extra))


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@dataclass
class Served:
    """A running ``argilla-maint serve`` process."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def served(url: str, home: Path, *args: str, **extra: str) -> Iterator[Served]:
    """``argilla-maint serve`` on a free loopback port; waits for /livez; SIGTERM on exit."""
    port = free_port()
    env = {**os.environ, **env_for(url, home, ARGILLA_MAINT_PORT=str(port), ARGILLA_MAINT_HOST="127.0.0.1", **extra)}
    log_path = home / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "argilla-maint"), "serve", *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Served(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_live(server)
        yield server
    finally:
        server.stop()


def _wait_live(server: Served, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"serve exited with {server.process.returncode}:\n{server.log()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/livez", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"serve did not answer /livez within {timeout}s:\n{server.log()}")


def problem_type(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return str(response.json()["type"]).rsplit(":", 1)[-1]

"""A throwaway PostgreSQL cluster on a free loopback port, from Debian's server binaries."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "nobody"


@dataclass(frozen=True)
class PostgresCluster:
    """Connection facts of a running cluster (superuser ``postgres``, password ``postgres``)."""

    host: str
    port: int
    user: str = "postgres"
    password: str = "postgres"
    bindir: Path | None = None
    data: Path | None = None
    options: str = ""

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (``immediate``: as if it crashed), for fault tests; ``start`` brings it back."""
        assert self.bindir is not None and self.data is not None
        subprocess.run(
            [*_demote_args(), str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        assert self.bindir is not None and self.data is not None
        log = self.data.parent / "postgres.log"
        subprocess.run(
            [
                *_demote_args(),
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(log),
                "-o",
                self.options,
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        _wait_ready(self.port)


def find_bindir() -> Path | None:
    """Newest ``/usr/lib/postgresql/<major>/bin`` that has ``postgres`` and ``initdb``."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    for postgres in reversed(candidates):
        bindir = Path(postgres).parent
        if (bindir / "initdb").exists():
            return bindir
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demote_args() -> list[str]:
    """PostgreSQL refuses to run as root: run it as an unprivileged user in that case."""
    if os.geteuid() != 0:
        return []
    pwd.getpwnam(SERVICE_USER)
    return ["runuser", "-u", SERVICE_USER, "--"]


@contextlib.contextmanager
def running_cluster(bindir: Path) -> Iterator[PostgresCluster]:
    """initdb a fresh cluster in a temp dir, start it on a free port, stop and delete it after."""
    workdir = Path(tempfile.mkdtemp(prefix="argilla-maint-pg-"))
    data = workdir / "data"
    pwfile = workdir / "pw"
    pwfile.write_text("postgres\n")
    demote = _demote_args()
    if demote:
        shutil.chown(workdir, SERVICE_USER)
        shutil.chown(pwfile, SERVICE_USER)
    subprocess.run(
        [
            *demote,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = workdir / "postgres.log"
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {workdir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    subprocess.run(
        [*demote, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
        check=True,
        capture_output=True,
    )
    try:
        _wait_ready(port)
        yield PostgresCluster(host="127.0.0.1", port=port, bindir=bindir, data=data, options=options)
    finally:
        subprocess.run(
            [*demote, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not accept connections on port {port} within {timeout}s")


if __name__ == "__main__":
    found = find_bindir()
    if found is None:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    with running_cluster(found) as cluster:
        print(cluster.url(driver="postgresql"), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)

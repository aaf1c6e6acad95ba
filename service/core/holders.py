"""Who runs an operation or holds a lock (host, pid, process start time), and whether that process still lives.

A holder is written as ``host:pid:start:pidns:nonce``: ``start`` is the process start time in clock
ticks since boot (``/proc/<pid>/stat`` field 22), so a reused pid is not mistaken for the holder;
``pidns`` is the pid namespace, so a process in another container with the same host name is never
judged from here; ``nonce`` tells apart several holders inside one process. On a system without
``/proc`` the liveness of a holder is unknown and callers fall back to expiry and heartbeats.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Liveness = Literal["alive", "dead", "unknown"]
PROC = Path("/proc")


@dataclass(frozen=True)
class Holder:
    """A process identity as stored in lock rows and operation rows."""

    host: str
    pid: int
    start: str
    pidns: str
    nonce: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}:{self.pidns}:{self.nonce}"

    @classmethod
    def parse(cls, text: str | None) -> Holder | None:
        """The holder in ``text``, or None for another format (rows written by older versions)."""
        parts = (text or "").split(":")
        if len(parts) != 5 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2], parts[3], parts[4])

    def describe(self) -> str:
        """``pid 123 on host-a (started 2026-01-02T03:04:05Z)`` for messages."""
        started = _started_at(self.start)
        return f"pid {self.pid} on {self.host}" + (f" (started {started})" if started else "")


def current(nonce: str | None = None) -> Holder:
    """This process, with a fresh nonce unless one is given."""
    pid = os.getpid()
    return Holder(socket.gethostname(), pid, _start_ticks(pid) or "", _pid_namespace(), nonce or secrets.token_hex(4))


def liveness(holder: Holder | None) -> Liveness:
    """``dead`` only when the holder's host and pid namespace are ours and its process is gone (or its pid reused)."""
    if holder is None or not holder.start:
        return "unknown"
    here = current(nonce="-")
    if holder.host != here.host or not here.pidns or holder.pidns != here.pidns or not here.start:
        return "unknown"
    start = _start_ticks(holder.pid)
    if start is None:
        return "dead"
    return "alive" if start == holder.start else "dead"


def describe(text: str | None) -> str:
    """A stored holder for messages (the raw text when it is in another format)."""
    holder = Holder.parse(text)
    return holder.describe() if holder is not None else (text or "an unknown process")


def _start_ticks(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat, or None when there is no such process (or no /proc)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _pid_namespace() -> str:
    try:
        link = os.readlink(PROC / "self" / "ns" / "pid")
    except OSError:
        return ""
    return "".join(ch for ch in link if ch.isdigit())


def _started_at(ticks: str) -> str | None:
    if not ticks.isdigit():
        return None
    try:
        boot = next(int(line.split()[1]) for line in (PROC / "stat").read_text().splitlines() if line.startswith("btime "))
        hertz = os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError):
        return None
    return datetime.fromtimestamp(boot + int(ticks) / hertz, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

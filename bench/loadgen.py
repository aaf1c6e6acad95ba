"""A small HTTP/1.1 keep-alive load generator (asyncio, raw sockets), for machines without ``wrk``.

It runs as its own process (bench/api.py starts it) so its CPU is not the server's event loop, and
prints one JSON line: requests, seconds, latencies' p50/p99 in ms and the status counts.

Usage: python bench/loadgen.py URL METHOD CLIENTS SECONDS [HEADER: VALUE ...]  (POST sends ``{}``)
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import time
from urllib.parse import urlsplit


async def client(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float], statuses: collections.Counter[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[int(status_line.split()[1])] += 1
    finally:
        writer.close()


async def run(url: str, method: str, clients: int, seconds: float, headers: list[str]) -> dict[str, object]:
    parts = urlsplit(url)
    body = b"{}" if method == "POST" else b""
    lines = [
        f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
        f"Host: {parts.netloc}",
        *headers,
    ]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(
        *(client(parts.hostname or "127.0.0.1", parts.port or 80, request, deadline, latencies, statuses) for _ in range(clients))
    )
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [0.0]
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50": ordered[len(ordered) // 2] * 1000,
        "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def main() -> None:
    url, method, clients, seconds, *headers = sys.argv[1:]
    print(json.dumps(asyncio.run(run(url, method, int(clients), float(seconds), headers))))


if __name__ == "__main__":
    main()

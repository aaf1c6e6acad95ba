"""Benchmark: HTTP throughput and latency of a served ``argilla-maint serve`` on loopback, printed as a table.

Rows (64 concurrent clients, a fixed duration each):
- GET /revisions (reads the chain and the database's alembic_version);
- POST /migrate with ``Prefer: wait=5`` on a database already at head: a no-op migration, recorded in history,
  serialised by the migration locks (so concurrent callers mostly get 409 while one holds them).

Usage: python bench/api.py [--clients 64] [--seconds 10]; ARGILLA_DATABASE_URL=postgresql://... to use
PostgreSQL instead of a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.http import ADMIN, served


async def load(url: str, method: str, path: str, headers: dict[str, str], clients: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.request(method, path, json={} if method == "POST" else None)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "statuses": dict(sorted(statuses.items())),
    }


async def run(url: str, clients: int, seconds: float) -> list[tuple[str, dict[str, object]]]:
    async with httpx.AsyncClient(base_url=url, headers=ADMIN, timeout=300) as client:
        ready = await client.post("/migrate", json={}, headers={"Prefer": "wait=300"})
        assert ready.status_code == 200 and ready.json()["status"] == "succeeded", ready.text
    rows = [("GET /revisions", await load(url, "GET", "/revisions", ADMIN, clients, seconds))]
    no_op = {**ADMIN, "Prefer": "wait=5"}
    rows.append(("POST /migrate (no-op, wait=5)", await load(url, "POST", "/migrate", no_op, clients, seconds)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        url = os.environ.get("ARGILLA_DATABASE_URL") or f"sqlite:///{Path(home) / 'argilla.db'}"
        dialect = url.split(":", 1)[0].split("+", 1)[0]
        with served(url, Path(home), ARGILLA_MAINT_LOG_LEVEL="WARNING") as server:
            rows = asyncio.run(run(server.url, args.clients, args.seconds))
    print(f"\n{dialect}, {args.clients} clients, {args.seconds:g} s per row")
    print(f"{'endpoint':<32} {'requests':>9} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}  statuses")
    for name, row in rows:
        print(f"{name:<32} {row['requests']:>9} {row['rps']:>9.1f} {row['p50']:>9.2f} {row['p99']:>9.2f}  {row['statuses']}")


if __name__ == "__main__":
    main()

"""Benchmark: HTTP req/s and latency of ``argilla-maint serve`` beside a minimal Litestar endpoint, in one run.

For each database (SQLite file, PostgreSQL), two servers run at once with the same uvicorn settings, driver
and pool sizes: ours (``argilla-maint serve``, default log level INFO, its lines to a file) and the anchor
(bench/anchor_api.py: one Litestar endpoint reading one row, ``SELECT version_num FROM alembic_version``,
nothing else). Rows, each loaded with CLIENTS keep-alive connections for SECONDS, in ROUNDS interleaved
rounds (anchor, then ours, per round, so machine noise hits both alike); the table prints medians and the
median of each round's ratio to the anchor:
- anchor GET /row;
- GET /revisions (tags, chain, heads, the database's current revision);
- GET /operations (first page of the history);
- POST /migrate ``{}`` with ``Prefer: wait=5`` on a database already at head: a no-op migration, recorded in
  history and serialised by the migration locks, so concurrent callers mostly get 409 (non-2xx) by design.

Load generator: ``wrk`` (one thread; ``apt-get install wrk``) when it is on PATH, else bench/loadgen.py (asyncio,
its own process). Client and servers share the machine's cores: the numbers are a ratio, not a capacity.

Usage: python bench/api.py [--clients 64] [--seconds 10] [--rounds 3] [--databases sqlite,postgresql]
ARGILLA_DATABASE_URL=postgresql://... uses that server (its database is migrated to head) instead of a
throwaway cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.http import ADMIN, env_for, served
from tests.support.postgres import find_bindir, free_port, running_cluster

BENCH = Path(__file__).resolve().parent
AUTH = f"Authorization: {ADMIN['Authorization']}"
ROWS = (
    ("anchor GET /row (1 row)", "anchor", "GET", "/row", ()),
    ("GET /revisions", "ours", "GET", "/revisions", (AUTH,)),
    ("GET /operations", "ours", "GET", "/operations", (AUTH,)),
    ("POST /migrate no-op, wait=5", "ours", "POST", "/migrate", (AUTH, "Prefer: wait=5")),
)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url: str, method: str, headers: tuple[str, ...], clients: int, seconds: float, scripts: Path) -> dict[str, object]:
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "30s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if method == "POST":
        script = scripts / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n')
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    latency = {
        m[0]: float(m[1]) * _UNITS[m[2]] for m in re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": latency["50"],
        "p99": latency["99"],
        "statuses": {
            "2xx": requests - bad,
            **({"non-2xx": bad} if bad else {}),
            **({"socket": errors.group(1)} if errors else {}),
        },
    }


def pyload(url: str, method: str, headers: tuple[str, ...], clients: int, seconds: float, _scripts: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, str(BENCH / "loadgen.py"), url, method, str(clients), str(seconds), *headers],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row = json.loads(out)
    return {**row, "rps": row["requests"] / row["seconds"]}


@contextlib.contextmanager
def anchor(url: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(BENCH / "anchor_api.py"), url, str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def migrate_to_head(url: str, home: Path) -> None:
    env = {**os.environ, **env_for(url, home)}
    subprocess.run(
        [str(Path(sys.executable).parent / "argilla-maint"), "database", "migrate"], env=env, check=True, capture_output=True
    )


def bench_database(url: str, home: Path, args: argparse.Namespace, load) -> list[tuple[str, list[dict[str, object]]]]:  # type: ignore[no-untyped-def]
    migrate_to_head(url, home)
    results: dict[str, list[dict[str, object]]] = {name: [] for name, *_ in ROWS}
    with served(url, home, ARGILLA_MAINT_LOG_LEVEL=args.log_level) as ours, anchor(url) as anchor_url:
        bases = {"ours": ours.url, "anchor": anchor_url}
        for _name, server, method, path, headers in ROWS:  # warm-up: pools filled, code paths hot
            load(bases[server] + path, method, headers, args.clients, 1.0, home)
        for _ in range(args.rounds):
            for name, server, method, path, headers in ROWS:
                results[name].append(load(bases[server] + path, method, headers, args.clients, args.seconds, home))
    return list(results.items())


def report(title: str, rows: list[tuple[str, list[dict[str, object]]]]) -> None:
    anchors = [float(r["rps"]) for r in rows[0][1]]  # type: ignore[arg-type]
    print(f"\n{title}")
    print(f"{'endpoint':<30} {'req/s':>9} {'x anchor':>9} {'p50 ms':>9} {'p99 ms':>9}  statuses (last round)")
    for name, runs in rows:
        rps = statistics.median(float(r["rps"]) for r in runs)  # type: ignore[arg-type]
        ratio = statistics.median(float(r["rps"]) / a for r, a in zip(runs, anchors, strict=True))  # type: ignore[arg-type]
        p50 = statistics.median(float(r["p50"]) for r in runs)  # type: ignore[arg-type]
        p99 = statistics.median(float(r["p99"]) for r in runs)  # type: ignore[arg-type]
        print(f"{name:<30} {rps:>9.1f} {ratio:>9.2f} {p50:>9.2f} {p99:>9.2f}  {runs[-1]['statuses']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--log-level", default="INFO", help="our server's ARGILLA_MAINT_LOG_LEVEL (default: its default)")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk"))
    load = wrk if use_wrk else pyload
    generator = "wrk -t1" if use_wrk else "bench/loadgen.py (asyncio, own process)"
    with contextlib.ExitStack() as stack:
        for database in args.databases.split(","):
            home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            if database == "sqlite":
                url = f"sqlite:///{home / 'argilla.db'}"
            elif os.environ.get("ARGILLA_DATABASE_URL"):
                url = os.environ["ARGILLA_DATABASE_URL"]
            else:
                bindir = find_bindir()
                if bindir is None:
                    raise SystemExit("no PostgreSQL binaries; set ARGILLA_DATABASE_URL or pass --databases sqlite")
                cluster = stack.enter_context(running_cluster(bindir))
                admin = sa.create_engine(cluster.url(driver="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.exec_driver_sql("CREATE DATABASE bench_api")
                admin.dispose()
                url = cluster.url("bench_api", driver="postgresql")
            rows = bench_database(url, home, args, load)
            title = (
                f"{database}: {args.clients} clients, {args.seconds:g} s per row, median of {args.rounds} interleaved rounds, "
                f"load: {generator}, our log level {args.log_level}, {os.cpu_count()} cores shared by client and servers"
            )
            report(title, rows)


if __name__ == "__main__":
    main()

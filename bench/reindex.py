"""Benchmark: reindex throughput end to end against the node's raw bulk ceiling, and our peak memory.

Measures in one run, on one engine:
(a) ``service.ops.reindex`` of a dataset of N records (responses, suggestions, vectors) from PostgreSQL
    into a fresh index: documents per second end to end (SQL read + documents + bulk);
(b) the node's raw bulk ceiling: the same documents, serialised beforehand, bulk-loaded into a scratch
    index with the same mapping, settings, bulk sizes and concurrency (only the sending is timed);
(c) peak RSS (VmHWM) of this process when a quarter of the records are done and at the end of (a)
    (the high-water mark is reset just before (a)).
A full raw load, streamed so that nothing is kept, first warms the node; then (a); then the timed (b),
which holds every pre-serialised body in memory and so comes last.

Usage: python bench/reindex.py [--records 200000] [--engine elasticsearch|opensearch]
BENCH_DATABASE_URL=postgresql://... uses an existing server instead of a throwaway cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.core.config import load_settings
from service.db import records as repo
from service.db.records import Dataset
from service.ops.migrate import migrate
from service.ops.reindex import FAST_FILL, ReindexRequest, reindex
from service.ops.results import MigrateRequest
from service.runtime import open_resources
from service.search.documents import record_document
from service.search.mappings import index_mappings, index_settings
from tests.support.argilla_seed import seed
from tests.support.postgres import find_bindir, running_cluster
from tests.support.search_nodes import ENGINES, running_node


def peak_rss_mb() -> float:
    """VmHWM: the process's peak resident set so far."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux: writing 5 to clear_refs), so (c) does not count (b)'s buffers."""
    import gc

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")


def fresh_db(server: str, name: str) -> str:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


async def run(url: str, node_url: str, engine: str, records: int, env: dict[str, str]) -> dict[str, Any]:
    settings = load_settings(
        {
            "ARGILLA_DATABASE_URL": url,
            "ARGILLA_HOME_PATH": tempfile.mkdtemp(),
            "ARGILLA_ELASTICSEARCH": node_url,
            "ARGILLA_SEARCH_ENGINE": engine,
            **env,
        }
    )
    out: dict[str, Any] = {"records": records}
    async with open_resources(settings) as resources:
        await migrate(resources, "bench", MigrateRequest())
        started = time.perf_counter()
        seeded = await asyncio.to_thread(seed, url, count=records)
        out["seed_s"] = time.perf_counter() - started
        dataset = await repo.get_dataset(resources.engine, seeded.dataset_id)
        assert dataset is not None
        # A full raw load, streamed (nothing kept), warms the node (JIT, caches) so (a) and (b) meet the same
        # node; the timed (b) runs after (a), so its pre-serialised bodies do not count in (a)'s memory figures.
        await raw_ceiling(resources, dataset, warm_up=True)
        reset_peak_rss()
        quarter: dict[str, float] = {}

        def on_progress(state: dict[str, Any]) -> None:
            if "rss" not in quarter and state.get("records_done", 0) >= records // 4:
                quarter["rss"] = peak_rss_mb()

        out["rss_before_mb"] = peak_rss_mb()
        started = time.perf_counter()
        result = await reindex(resources, "bench", ReindexRequest(dataset_id=str(seeded.dataset_id)), on_progress=on_progress)
        out["reindex_s"] = time.perf_counter() - started
        assert result.operation.status == "succeeded", result.operation.error
        out["fill_docs_per_s"] = records / result.datasets[0].phase_seconds["fill"]
        out["phases"] = result.datasets[0].phase_seconds
        out["rss_quarter_mb"] = quarter.get("rss", float("nan"))
        out["rss_end_mb"] = peak_rss_mb()
        out["raw_s"], out["raw_searchable_s"] = await raw_ceiling(resources, dataset)
    return out


async def raw_ceiling(resources: Any, dataset: Dataset, warm_up: bool = False) -> tuple[float, float]:
    """Pre-serialise every document, then time only the bulk loading into a scratch index.

    ``warm_up``: send each body as soon as it is built and keep nothing (memory stays flat; not timed).
    """
    import msgspec

    search, opts = resources.search, resources.settings.search
    scratch = f"bench-raw-{dataset.id}"
    settings = index_settings(
        search.engine, shards=opts.shards, replicas=opts.replicas, total_fields_limit=opts.total_fields_limit
    )
    await search.delete_index(scratch)
    await search.create_index(scratch, {**settings, **FAST_FILL}, index_mappings(search.engine, dataset))
    encode = msgspec.json.Encoder().encode
    bodies: list[bytes] = []
    lines: list[bytes] = []
    size = 0
    async for batch in repo.stream_records(resources.engine, dataset.id, batch_size=opts.batch_size):
        if warm_up and bodies:
            await search.bulk(bodies.pop())
        for record in batch:
            pair = (
                b'{"index":{"_index":"'
                + scratch.encode()
                + b'","_id":"'
                + str(record.id).encode()
                + b'"}}\n'
                + encode(record_document(record, dataset))
                + b"\n"
            )
            if lines and (len(lines) >= opts.batch_size or size + len(pair) > opts.bulk_max_bytes):
                bodies.append(b"".join(lines))
                lines, size = [], 0
            lines.append(pair)
            size += len(pair)
    if lines:
        bodies.append(b"".join(lines))
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def sender() -> None:
        while not queue.empty():
            answer = await search.bulk(queue.get_nowait())
            assert not answer.get("errors"), "raw bulk item errors"

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(opts.concurrency)))
    elapsed = time.perf_counter() - started
    await search.refresh(scratch)  # what making the documents searchable costs on top (reported apart)
    searchable = time.perf_counter() - started
    await search.delete_index(scratch)
    return elapsed, searchable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--engine", choices=["elasticsearch", "opensearch"], default="elasticsearch")
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args()
    env = {}
    if args.batch_size:
        env["ARGILLA_MAINT_REINDEX_BATCH_SIZE"] = str(args.batch_size)
    if args.concurrency:
        env["ARGILLA_MAINT_REINDEX_CONCURRENCY"] = str(args.concurrency)
    version = dict(ENGINES)[args.engine]
    with ExitStack() as stack:
        server = os.environ.get("BENCH_DATABASE_URL")
        if server:
            server = (
                sa.make_url(server)
                .set(drivername="postgresql+psycopg2", database="postgres")
                .render_as_string(hide_password=False)
            )
        else:
            bindir = find_bindir()
            if bindir is None:
                sys.exit("no PostgreSQL binaries; set BENCH_DATABASE_URL")
            server = stack.enter_context(running_cluster(bindir)).url(driver="postgresql+psycopg2")
        node = stack.enter_context(running_node(args.engine, version, heap=args.heap))
        url = fresh_db(server, "bench_reindex")
        out = asyncio.run(run(url, node.url, args.engine, args.records, env))
    n = out["records"]
    a, b = n / out["reindex_s"], n / out["raw_s"]
    print(f"\n{args.engine} {version}, {n} records (seeded in {out['seed_s']:.1f}s)")
    print(f"{'measure':<44}{'value':>14}")
    print(f"{'(a) reindex end to end, docs/s':<44}{a:>14,.0f}   ({out['reindex_s']:.1f}s incl. catch-up, sweep, count)")
    print(f"{'    fill pass only, docs/s':<44}{out['fill_docs_per_s']:>14,.0f}")
    print(f"{'    phases (s)':<44}{out['phases']}")
    print(f"{'(b) raw bulk ceiling, docs/s':<44}{b:>14,.0f}   ({out['raw_s']:.1f}s)")
    b2 = n / out["raw_searchable_s"]
    print(f"{'    raw bulk + one refresh, docs/s':<44}{b2:>14,.0f}   ({out['raw_searchable_s']:.1f}s)")
    print(f"{'ratio a/b (goal >= 70%)':<44}{a / b:>14.0%}")
    print(f"{'ratio fill-only/b':<44}{out['fill_docs_per_s'] / b:>14.0%}")
    print(f"{'ratio a/(b + refresh)':<44}{a / b2:>14.0%}")
    print(f"{'(c) RSS before reindex (HWM reset), MB':<44}{out['rss_before_mb']:>14.0f}")
    print(f"{'    peak RSS at N/4, MB':<44}{out['rss_quarter_mb']:>14.0f}")
    print(f"{'    peak RSS at end of reindex, MB':<44}{out['rss_end_mb']:>14.0f}")


if __name__ == "__main__":
    main()

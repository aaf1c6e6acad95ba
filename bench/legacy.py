"""Benchmark: the exact label set of a 1,000,000-record legacy dataset, and the move of a workspace-less one.

Measures in one run, on one engine, each with our peak RSS (VmHWM, reset before each phase):
(a) labels by composite aggregation over the per-agent keyword fields (what ``legacy labels`` uses);
(b) labels by a full scan of every record's ``_source`` (search_after pages of 5,000): the anchor (a)
    must beat; both must return the same set;
(c) ``service.ops.legacy.workspaces`` moving the dataset (write block, _clone, verify, document, delete);
(d) the node's own ``_clone`` of the same index, timed alone: the ceiling (c) is bounded by.
The records are Argilla 1.23's TextClassification shape (tests/support/legacy_seed.py), streamed in;
a handful of labels occur in one record each, two of them only as second-ranked predictions.

Usage: python bench/legacy.py [--records 1000000] [--engine opensearch|elasticsearch] [--heap 1g]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.core.config import load_settings
from service.ops.legacy.requests import LegacyWorkspacesRequest
from service.ops.legacy.workspaces import legacy_workspaces
from service.ops.migrate import migrate
from service.ops.results import MigrateRequest
from service.runtime import open_resources
from service.search.legacy.labels import labels_by_aggregation, labels_by_scan
from service.search.legacy.names import datasets_index, records_index
from tests.support.legacy_seed import _load, creatable_settings, extended_fields, reference_dir
from tests.support.search_nodes import running_node

TEMPLATE = "team.tc-ui-big"
RARE = {101: ("annotation", "bench-rare-a1"), 500_001: ("annotation", "bench-rare-a2"), 777_777: ("prediction", "bench-rare-p1")}


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    import gc

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")


def records(engine: str, count: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Argilla 1.23 records cycled from the recorded samples, streamed; rare labels at fixed positions."""
    samples = list(_load(reference_dir(engine) / "records" / f"ar.dataset.{TEMPLATE}.docs.json")["docs"].values())
    labelled = [s for s in samples[:4] if s.get("annotation") and s.get("prediction")]
    for n in range(count):
        doc = copy.deepcopy(samples[n % 4] if n not in RARE else labelled[0])
        doc["id"] = f"bench-{n:07d}"
        doc["metadata"] = {"n": n}
        if n in RARE:
            where, label = RARE[n]
            carriers = [doc[where], *doc[f"{where}s"].values()]
            for carrier in carriers:
                carrier["labels"][-1 if where == "prediction" else 0]["class_label"] = label
        yield doc["id"], doc | extended_fields(doc)


async def load(search: Any, engine: str, index: str, count: int) -> float:
    ref = reference_dir(engine) / "records"
    mapping = next(iter(_load(ref / f"ar.dataset.{TEMPLATE}.mapping.json").values()))["mappings"]
    settings = creatable_settings(_load(ref / f"ar.dataset.{TEMPLATE}.settings.json"), engine)
    await search.create_index(index, {**settings, "refresh_interval": "-1"}, mapping)
    began = time.perf_counter()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)

    async def sender() -> None:
        while (body := await queue.get()) is not None:
            answer = await search.bulk(body)
            assert not answer.get("errors"), str(answer)[:500]

    senders = [asyncio.create_task(sender()) for _ in range(2)]
    lines: list[bytes] = []
    size = 0
    for doc_id, doc in records(engine, count):
        lines.append(msgspec.json.encode({"index": {"_index": index, "_id": doc_id}}) + b"\n" + msgspec.json.encode(doc) + b"\n")
        size += len(lines[-1])
        if size > 900 * 1024:
            await queue.put(b"".join(lines))
            lines, size = [], 0
    if lines:
        await queue.put(b"".join(lines))
    for _ in senders:
        await queue.put(None)
    await asyncio.gather(*senders)
    await search.put_settings(index, {"index.refresh_interval": None})
    await search.refresh(index)
    await search.request("POST", f"/{index}/_forcemerge", params={"max_num_segments": "1"})
    return time.perf_counter() - began


async def timed(work: Any) -> tuple[Any, float, float]:
    reset_peak_rss()
    began = time.perf_counter()
    value = await work
    return value, time.perf_counter() - began, peak_rss_mb()


def add_workspace(url: str, name: str) -> None:
    engine = sa.create_engine(url.replace("sqlite+aiosqlite", "sqlite"))
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO workspaces (id, name, inserted_at, updated_at) VALUES (:id, :name, :now, :now)"),
            {"id": uuid.uuid4().hex, "name": name, "now": datetime(2024, 1, 1)},
        )
    engine.dispose()


async def run(engine: str, node_url: str, count: int, home: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{home / 'argilla.db'}"
    env = {"ARGILLA_DATABASE_URL": url, "ARGILLA_HOME_PATH": str(home), "ARGILLA_ELASTICSEARCH": node_url}
    env |= {"ARGILLA_SEARCH_ENGINE": engine, "ARGILLA_MAINT_LOG_LEVEL": "WARNING", "ARGILLA_MAINT_SEARCH_TIMEOUT": "900"}
    async with open_resources(load_settings(env)) as resources:
        search = resources.search
        await migrate(resources, "bench", MigrateRequest(revision="head"))
        add_workspace(url, "bench")
        index = records_index(None, "old-bench")
        loaded = await load(search, engine, index, count)
        mappings = (await search.state(index)).mappings
        out: dict[str, Any] = {"records": await search.count(index), "load_seconds": loaded}
        await labels_by_aggregation(search, index, "TextClassification", mappings)  # warm caches for both
        agg, out["agg_seconds"], out["agg_rss"] = await timed(
            labels_by_aggregation(search, index, "TextClassification", mappings)
        )
        scan, out["scan_seconds"], out["scan_rss"] = await timed(labels_by_scan(search, index, "TextClassification"))
        assert agg == scan, (sorted(agg ^ scan), "the two methods disagree")
        assert {label for _, label in RARE.values()} <= agg
        out["labels"] = len(agg)
        print(f"# records {out['records']}, loaded in {loaded:.1f}s, {len(agg)} labels, same set both ways", flush=True)
        # (d) the node's own clone, then (c) the move of the same index.
        await search.put_settings(index, {"index.blocks.write": True})
        _, out["clone_seconds"], _ = await timed(search.clone(index, f"{index}.rawclone", {"index.number_of_replicas": 0}))
        await search.delete_index(f"{index}.rawclone")
        await search.put_settings(index, {"index.blocks.write": None})
        doc = {"id": "old-bench", "name": "old-bench", "task": "TextClassification", "metadata": [], "tags": []}
        ref = reference_dir(engine)
        datasets_mapping = next(iter(_load(ref / "ar.datasets.mapping.json").values()))["mappings"]
        await search.create_index(datasets_index(None), {"number_of_shards": 1, "number_of_replicas": 0}, datasets_mapping)
        await search.index_document(datasets_index(None), "old-bench", doc)
        request = LegacyWorkspacesRequest(target_workspace="bench", datasets=["old-bench"])
        moved, out["move_seconds"], out["move_rss"] = await timed(legacy_workspaces(resources, "bench", request))
        out["moved_records"] = moved.datasets[0].records
        out["move_phases"] = moved.datasets[0].phase_seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["opensearch", "elasticsearch"], default="opensearch")
    parser.add_argument("--heap", default="1g")
    args = parser.parse_args()
    version = "2.19.1" if args.engine == "opensearch" else "8.19.21"
    with tempfile.TemporaryDirectory() as tmp, running_node(args.engine, version, heap=args.heap) as node:
        out = asyncio.run(run(args.engine, node.url, args.records, Path(tmp)))
    print(f"{args.engine} {version}, {out['records']:,} records loaded in {out['load_seconds']:.1f}s, {out['labels']} labels")
    print("| step | seconds | peak RSS (MiB) | note |")
    print("| --- | ---: | ---: | --- |")
    print(f"| labels: aggregation (kept) | {out['agg_seconds']:.2f} | {out['agg_rss']:.0f} | composite aggs, per-agent fields |")
    print(f"| labels: full _source scan | {out['scan_seconds']:.2f} | {out['scan_rss']:.0f} | anchor; same set |")
    print(f"| ratio scan / aggregation | {out['scan_seconds'] / out['agg_seconds']:.1f}x | | |")
    print(f"| move (ops.legacy.workspaces) | {out['move_seconds']:.2f} | {out['move_rss']:.0f} | {out['move_phases']} |")
    print(f"| node's raw _clone | {out['clone_seconds']:.2f} | | ceiling of the move |")
    print(f"| ratio move / raw clone | {out['move_seconds'] / out['clone_seconds']:.1f}x | | |")


if __name__ == "__main__":
    main()

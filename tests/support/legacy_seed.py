"""Argilla 1.x ("legacy") state on a real search node, built from what Argilla 1.23.1 wrote (reference JSON).

``tests/fixtures/legacy-1.23/<engine>/`` holds the ``ar.datasets`` mapping, settings and documents,
and per task shape a records index's mapping, settings and sample documents (with the total count).
Records are generated from those samples: the recorded ones verbatim, the others copies of the
non-rare samples under new ids, so every shape is one Argilla wrote. Argilla computes ``annotated_as``,
``annotated_by``, ``predicted_as``, ``predicted_by``, ``predicted`` and ``score`` at log time and excludes
them from ``_source``: they are computed here the same way and indexed, so they are searchable, not stored.

Elasticsearch's test distribution lacks module analysis-common, whose ``lowercase`` tokenizer Argilla's
``multilingual_stop_analyzer`` uses: on Elasticsearch the indices are created with that tokenizer
replaced by ``standard`` + a ``lowercase`` filter (as the recorded Elasticsearch reference already is).
OpenSearch nodes get the real module (tests/support/search_nodes.py) and the settings as recorded.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from service.search.legacy.names import datasets_index, records_index
from service.search.rest import RestSearchEngine

# A copy of what Argilla 1.23.1 wrote (see its README.md), kept with the tests so a clean clone has it.
REFERENCE = Path(
    os.environ.get("ARGILLA_MAINT_LEGACY_REFERENCE") or Path(__file__).resolve().parents[1] / "fixtures" / "legacy-1.23"
)
REFERENCE_DIRS = {"elasticsearch": "elasticsearch-8.19.21", "opensearch": "opensearch-2.19.1"}
RECORDED = ("team.tc-ui-big", "team.tc-ui-multi", "team.ner-ui", "team.t2t-plain", "old-tc")
# Datasets without recorded records: (template index, record count, extra labels in single records).
GENERATED: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "team.tc-schema": ("team.tc-ui-big", 125, ()),
    "team.tc-schema-ui": ("team.tc-ui-big", 125, ("from-records",)),
    "team.ner-schema": ("team.ner-ui", 120, ()),
    "team.tc-plain": ("team.tc-ui-big", 40, ()),
    "old-ner": ("team.ner-ui", 100, ()),
    "old-multi": ("team.tc-ui-multi", 100, ()),
}
# Prediction-only labels put into single records of the big dataset (second-ranked: never in predicted_as).
PREDICTION_ONLY = {3333: "rare-p1", 4444: "rare-p2"}
UNLABELLED_ONLY = ("team.tc-plain",)


def reference_dir(engine: str) -> Path:
    return REFERENCE / REFERENCE_DIRS[engine]


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def creatable_settings(recorded: dict[str, Any], engine: str) -> dict[str, Any]:
    """The recorded index settings a create request accepts (no uuid, dates, versions), adapted to the engine."""
    index = next(iter(recorded.values()))["settings"]["index"]
    settings: dict[str, Any] = {k: index[k] for k in ("number_of_shards", "number_of_replicas") if k in index}
    if "analysis" in index:
        settings["analysis"] = copy.deepcopy(index["analysis"])
        if engine == "elasticsearch":
            for analyzer in settings["analysis"].get("analyzer", {}).values():
                if analyzer.get("tokenizer") == "lowercase":
                    analyzer["tokenizer"] = "standard"
                    analyzer["filter"] = ["lowercase", *analyzer.get("filter", [])]
    return settings


def _top(labels: list[dict[str, Any]]) -> list[str]:
    return [max(labels, key=lambda label: label["score"])["class_label"]] if labels else []


def extended_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """What Argilla 1.23 adds at log time and ``_source`` excludes (annotated_as, predicted_by, ...)."""
    annotation, prediction = doc.get("annotation"), doc.get("prediction")
    extra: dict[str, Any] = {
        "annotated_by": [annotation["agent"]] if annotation else [],
        "predicted_by": [prediction["agent"]] if prediction else [],
    }
    if "entities" in (annotation or prediction or {}):
        extra["annotated_as"] = [e["label"] for e in (annotation or {}).get("entities", [])]
        extra["predicted_as"] = [e["label"] for e in (prediction or {}).get("entities", [])]
    elif "labels" in (annotation or prediction or {}):
        multi = bool(doc.get("multi_label"))
        pick = (lambda labels: [x["class_label"] for x in labels if x["score"] > 0.5]) if multi else _top
        extra["annotated_as"] = pick((annotation or {}).get("labels", []))
        extra["predicted_as"] = pick((prediction or {}).get("labels", []))
        if prediction:
            scores = [x["score"] for x in prediction["labels"]]
            extra["score"] = scores if multi else [max(scores)]
        if annotation and prediction:
            extra["predicted"] = "OK" if set(extra["annotated_as"]) == set(extra["predicted_as"]) else "KO"
    return {k: v for k, v in extra.items() if v not in ([], None)}


@dataclass
class LegacyState:
    """What was written: index names and every record (with its extended fields) per dataset id."""

    engine: str
    namespace: str | None
    datasets_index: str
    documents: dict[str, dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def records_index(self, dataset_id: str) -> str:
        return records_index(self.namespace, dataset_id)


def _generate(samples: dict[str, Any], prefix: str, count: int) -> list[dict[str, Any]]:
    """``count`` records: the recorded samples at their own positions, copies of the first four elsewhere."""
    templates = list(samples.values())[:4]
    records = []
    for n in range(count):
        doc_id = f"{prefix}-{n:06d}"
        doc = copy.deepcopy(samples.get(doc_id) or templates[n % len(templates)])
        doc["id"] = doc_id
        doc.setdefault("metadata", {})["n"] = n
        records.append(doc)
    return records


def _put_prediction_label(doc: dict[str, Any], label: str) -> None:
    for carrier in (doc["prediction"], *doc["predictions"].values()):
        carrier["labels"][-1]["class_label"] = label


def _put_annotation_label(doc: dict[str, Any], label: str) -> None:
    for carrier in (doc["annotation"], *doc["annotations"].values()):
        key = "entities" if "entities" in carrier else "labels"
        carrier[key][0]["label" if key == "entities" else "class_label"] = label


def build_records(ref: Path, dataset_id: str, count: int | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(template index id, records) of one dataset, from the reference."""
    template, default_count, extras = (dataset_id, 0, ()) if dataset_id in RECORDED else GENERATED[dataset_id]
    recorded = _load(ref / "records" / f"ar.dataset.{template}.docs.json")
    name = dataset_id.split(".")[-1]
    samples = {f"{name}-{k.rsplit('-', 1)[1]}": v for k, v in recorded["docs"].items()}
    total = count or default_count or int(recorded["count"])
    if dataset_id in UNLABELLED_ONLY:
        unlabelled = [v for v in samples.values() if not v.get("annotation") and not v.get("prediction")]
        samples = {f"{name}-000000": unlabelled[0]}
    records = _generate(samples, name, total)
    labelled = [r for r in records if r.get("prediction") and r.get("annotation") and r["id"] not in samples]
    if dataset_id == "team.tc-ui-big":
        for n, label in PREDICTION_ONLY.items():
            if n < total:
                target = next(r for r in records[n:] if r.get("prediction") and r.get("annotation"))
                _put_prediction_label(target, label)
    for doc, label in zip(labelled[len(labelled) // 2 :], extras, strict=False):
        _put_annotation_label(doc, label)
    return template, records


async def build_legacy_state(
    search: RestSearchEngine,
    engine: str,
    *,
    namespace: str | None = None,
    datasets: tuple[str, ...] | None = None,
    counts: dict[str, int] | None = None,
) -> LegacyState:
    """Create ``ar.datasets`` with every recorded document and the records indices of ``datasets`` (default all)."""
    ref = reference_dir(engine)
    index = datasets_index(namespace)
    documents: dict[str, dict[str, Any]] = _load(ref / "ar.datasets.docs.json")
    mapping = next(iter(_load(ref / "ar.datasets.mapping.json").values()))["mappings"]
    settings = creatable_settings(_load(ref / "ar.datasets.settings.json"), engine)
    await search.create_index(index, settings, mapping)
    await _bulk(search, index, documents.items())
    state = LegacyState(engine, namespace, index, documents)
    for dataset_id in datasets if datasets is not None else (*RECORDED, *GENERATED):
        await write_records(search, state, dataset_id, (counts or {}).get(dataset_id))
    return state


async def write_records(search: RestSearchEngine, state: LegacyState, dataset_id: str, count: int | None = None) -> None:
    """Create one dataset's records index (recorded mapping and settings) and bulk its records."""
    ref = reference_dir(state.engine)
    template, records = build_records(ref, dataset_id, count)
    mapping = next(iter(_load(ref / "records" / f"ar.dataset.{template}.mapping.json").values()))["mappings"]
    settings = creatable_settings(_load(ref / "records" / f"ar.dataset.{template}.settings.json"), state.engine)
    name = state.records_index(dataset_id)
    await search.create_index(name, settings, mapping)
    await _bulk(search, name, ((r["id"], r | extended_fields(r)) for r in records))
    state.records[dataset_id] = records


async def _bulk(search: RestSearchEngine, index: str, docs: Any, max_bytes: int = 512 * 1024) -> None:
    """Bulk-index (id, doc) pairs in bodies under ``max_bytes`` (aiohttp warns on raw bodies over 1 MiB)."""
    lines: list[bytes] = []
    size = 0
    for doc_id, doc in docs:
        pair = msgspec.json.encode({"index": {"_index": index, "_id": doc_id}}) + b"\n" + msgspec.json.encode(doc) + b"\n"
        if size + len(pair) > max_bytes and lines:
            await _send(search, lines)
            lines, size = [], 0
        lines.append(pair)
        size += len(pair)
    if lines:
        await _send(search, lines)
    await search.refresh(index)


async def _send(search: RestSearchEngine, lines: list[bytes]) -> None:
    answer = await search.bulk(b"".join(lines))
    assert not answer.get("errors"), str(answer)[:2000]


def expected_labels(records: list[dict[str, Any]]) -> set[str]:
    """Every label of the records' annotations and predictions, read straight from the generated documents."""
    found: set[str] = set()
    for doc in records:
        for carrier in (doc.get("annotation"), doc.get("prediction")):
            for item in (carrier or {}).get("labels", []):
                found.add(item["class_label"])
            for item in (carrier or {}).get("entities", []):
                found.add(item["label"])
    return found

"""The exact set of labels a legacy records index holds, by aggregation (fast) or by a full scan (the anchor).

Argilla 1.x copies every annotation and prediction, per agent, into indexed keyword fields
``annotations.<agent>.labels.class_label`` / ``predictions.<agent>.labels.class_label`` (tokens:
``...entities.label``), while ``annotation``/``prediction`` themselves are stored, not indexed. The
``annotated_as``/``predicted_as`` keywords are no substitute: for single-label text classification they
hold only the top-scored label. So a composite aggregation over the per-agent fields found in the
mapping gives every label exactly, paged; records whose per-agent copy is missing (shapes written before
that copy existed) are then read from ``_source``, so the set stays exact for them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from service.search.engine import SearchEngine
from service.search.legacy.documents import TEXT_CLASSIFICATION

AGG_PAGE = 1000
SCAN_PAGE = 5000
# task -> (list key, label key) inside an annotation or prediction.
LABEL_KEYS = {TEXT_CLASSIFICATION: ("labels", "class_label"), "TokenClassification": ("entities", "label")}
GROUPS = (("annotations", "annotated_by"), ("predictions", "predicted_by"))


def label_fields(task: str, mappings: dict[str, Any]) -> list[str]:
    """Keyword fields under ``annotations.*`` and ``predictions.*`` ending in the task's label key (pure)."""
    list_key, label_key = LABEL_KEYS[task]
    properties = mappings.get("properties") or {}
    fields: list[str] = []
    for group, _by in GROUPS:
        for path, spec in _walk(properties.get(group, {}).get("properties") or {}, group):
            if path.endswith(f".{list_key}.{label_key}") and spec.get("type") == "keyword":
                fields.append(path)
    return sorted(fields)


def _walk(properties: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, spec in properties.items():
        path = f"{prefix}.{key}"
        yield path, spec
        yield from _walk(spec.get("properties") or {}, path)


async def labels_by_aggregation(engine: SearchEngine, index: str, task: str, mappings: dict[str, Any]) -> set[str]:
    """Every label in the records' annotations and predictions: composite aggregations, then the uncovered."""
    found = await _aggregate(engine, index, label_fields(task, mappings))
    uncovered = {"bool": {"should": [_uncovered(group, by) for group, by in GROUPS], "minimum_should_match": 1}}
    found |= await labels_by_scan(engine, index, task, query=uncovered)
    return found


def _uncovered(group: str, by: str) -> dict[str, Any]:
    """Records with an annotation (prediction) but no per-agent copy of it: only their _source tells."""
    return {"bool": {"filter": [{"exists": {"field": by}}], "must_not": [{"exists": {"field": group}}]}}


async def _aggregate(engine: SearchEngine, index: str, fields: list[str]) -> set[str]:
    found: set[str] = set()
    pending: dict[str, tuple[str, dict[str, Any] | None]] = {f"f{n}": (field, None) for n, field in enumerate(fields)}
    while pending:
        aggs = {name: {"composite": _composite(field, after)} for name, (field, after) in pending.items()}
        answer = await engine.search(index, {"size": 0, "track_total_hits": False, "aggs": aggs})
        following: dict[str, tuple[str, dict[str, Any] | None]] = {}
        for name, (field, _after) in pending.items():
            result = answer["aggregations"][name]
            found.update(str(bucket["key"]["label"]) for bucket in result["buckets"])
            if len(result["buckets"]) == AGG_PAGE and result.get("after_key"):
                following[name] = (field, result["after_key"])
        pending = following
    return found


def _composite(field: str, after: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"size": AGG_PAGE, "sources": [{"label": {"terms": {"field": field}}}]}
    if after is not None:
        body["after"] = after
    return body


async def labels_by_scan(
    engine: SearchEngine, index: str, task: str, *, query: dict[str, Any] | None = None, page: int = SCAN_PAGE
) -> set[str]:
    """Read every (matching) record's annotation and prediction from ``_source``, in ``id`` order."""
    list_key, label_key = LABEL_KEYS[task]
    found: set[str] = set()
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": page,
            "sort": [{"id": "asc"}],
            "_source": ["annotation", "prediction", "annotations", "predictions"],
            "track_total_hits": False,
            "query": query or {"match_all": {}},
        }
        if after is not None:
            body["search_after"] = after
        hits = (await engine.search(index, body))["hits"]["hits"]
        for hit in hits:
            found.update(record_labels(hit.get("_source") or {}, list_key, label_key))
        if len(hits) < page:
            return found
        after = hits[-1]["sort"]


def record_labels(source: dict[str, Any], list_key: str, label_key: str) -> Iterator[str]:
    """Labels of one record's annotation and prediction (and their per-agent copies), as Argilla checks them."""
    carriers: list[Any] = [source.get("annotation"), source.get("prediction")]
    for group in ("annotations", "predictions"):
        carriers += list((source.get(group) or {}).values())
    for carrier in carriers:
        for item in (carrier or {}).get(list_key) or []:
            label = item.get(label_key) if isinstance(item, dict) else None
            if label is not None:
                yield str(label)

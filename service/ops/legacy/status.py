"""``GET /legacy``: what legacy data there is, so an operator sees the work before doing it (reads only)."""

from __future__ import annotations

from collections import Counter

from service.core.errors import NoLegacyData
from service.ops.context import Resources
from service.ops.legacy.common import legacy_search, records_index_of
from service.ops.legacy.requests import LegacyDatasetStatus, LegacyStatus
from service.search.engine import SearchEngine
from service.search.legacy.catalog import list_datasets
from service.search.legacy.documents import LABEL_TASKS, LegacyDataset
from service.search.legacy.names import datasets_index


async def legacy_status(resources: Resources) -> LegacyStatus:
    """Datasets per task, which carry the UI key, lack a schema, have no workspace; "no legacy data" if none."""
    namespace = resources.settings.search.namespace
    try:
        search, index = await legacy_search(resources)
    except NoLegacyData as exc:
        return LegacyStatus(
            legacy_data=False,
            message=exc.detail,
            datasets_index=datasets_index(namespace),
            namespace=namespace,
            tasks={},
            with_ui_key=[],
            without_label_schema=[],
            without_workspace=[],
            datasets=[],
        )
    datasets = [await _describe(resources, search, d) for d in await list_datasets(search, index)]
    return LegacyStatus(
        legacy_data=bool(datasets),
        message=f"{len(datasets)} legacy dataset(s) in {index}" if datasets else f"no legacy data: {index} is empty",
        datasets_index=index,
        namespace=namespace,
        tasks=dict(sorted(Counter(d.task for d in datasets).items())),
        with_ui_key=[d.id for d in datasets if d.has_ui_key],
        without_label_schema=[d.id for d in datasets if d.task in LABEL_TASKS and not d.has_label_schema],
        without_workspace=[d.id for d in datasets if d.workspace is None],
        datasets=datasets,
    )


async def _describe(resources: Resources, search: SearchEngine, dataset: LegacyDataset) -> LegacyDatasetStatus:
    index = records_index_of(resources, dataset.id)
    records = await search.count(index) if (await search.state(index)).kind != "missing" else None
    ui = dataset.ui_key
    schema = dataset.schema
    needs = []
    if dataset.task in LABEL_TASKS and (schema is None or ui is not None):
        needs.append("labels")
    if dataset.workspace is None:
        needs.append("workspace")
    return LegacyDatasetStatus(
        id=dataset.id,
        name=dataset.name,
        workspace=dataset.workspace,
        task=dataset.task,
        records=records,
        has_label_schema=schema is not None,
        schema_labels=len(schema or []),
        has_ui_key=ui is not None,
        ui_labels=list(ui.labels) if ui else [],
        needs=needs,
    )

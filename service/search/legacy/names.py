"""Index names Argilla 1.x uses, with its ``ARGILLA_NAMESPACE`` prefix (``<ns>.ar.datasets``)."""

from __future__ import annotations

DATASETS_INDEX = "ar.datasets"
RECORDS_INDEX = "ar.dataset.{}"


def datasets_index(namespace: str | None) -> str:
    """The index holding one document per legacy dataset."""
    return f"{namespace}.{DATASETS_INDEX}" if namespace else DATASETS_INDEX


def records_index(namespace: str | None, dataset_id: str) -> str:
    """The records index of dataset ``dataset_id`` (``<workspace>.<name>``, or a bare name before 1.4)."""
    name = RECORDS_INDEX.format(dataset_id)
    return f"{namespace}.{name}" if namespace else name

"""Pure parts of the legacy jobs: schema order, the old UI's key, label fields of a mapping, ids, namespace."""

from __future__ import annotations

import json

import pytest

from service.core.config import load_settings
from service.core.errors import ConfigurationError, InvalidRequest
from service.ops.legacy.common import dataset_id_of
from service.ops.legacy.schema import plan_schema
from service.search.engine import StoredDocument
from service.search.legacy.documents import UI_KEY, LegacyDataset, UiKey, parse_ui_value
from service.search.legacy.labels import label_fields, record_labels
from service.search.legacy.names import datasets_index, records_index
from tests.support.legacy_seed import reference_dir

pytestmark = pytest.mark.unit
DESCRIBED = [{"id": "b", "name": "b", "description": "bee"}, {"id": "a", "name": "a", "description": "ay"}]


def test_existing_schema_first_then_records_alphabetically_ui_only_reported() -> None:
    """A saved schema is kept as stored; record labels follow in code point order; UI labels are only reported."""
    plan = plan_schema(DESCRIBED, UiKey(("a", "ui")), {"z", "a", "Y", "c"}, include_ui_labels=True)
    assert plan.after == [*DESCRIBED, *({"id": n, "name": n} for n in ("Y", "c", "z"))]
    assert plan.from_records == ["Y", "c", "z"] and plan.ui_not_added == ["ui"] and plan.changed


def test_without_schema_ui_labels_come_first_in_ui_order() -> None:
    """No schema: the UI's labels, in UI order, precede the records' labels; a rerun plan is unchanged."""
    plan = plan_schema(None, UiKey(("pos", "neg")), {"neg", "mid"}, include_ui_labels=True)
    assert [label["name"] for label in plan.after] == ["pos", "neg", "mid"] and plan.from_ui == ["pos", "neg"]
    assert not plan_schema(plan.after, UiKey(("pos", "neg")), {"neg", "mid"}, include_ui_labels=True).changed
    left_out = plan_schema(None, UiKey(("pos",)), {"mid"}, include_ui_labels=False)
    assert left_out.ui_not_added == ["pos"] and [label["name"] for label in left_out.after] == ["mid"]


def test_ui_key_values_as_argilla_stored_them() -> None:
    """The key's value is a JSON string: labels (text) or entities (tokens); anything else is reported unreadable."""
    assert parse_ui_value(json.dumps({"labels": ["a", "b", "a"]}), "TextClassification").labels == ("a", "b")
    assert parse_ui_value('{"entities": ["PER"]}', "TokenClassification").labels == ("PER",)
    assert parse_ui_value("not json", "TextClassification").unreadable
    assert parse_ui_value('{"entities": ["PER"]}', "TextClassification").unreadable
    doc = LegacyDataset(
        StoredDocument("old", {"name": "old", "workspace": "", "metadata": [{"key": UI_KEY, "value": "{}"}]}, 0, 1)
    )
    assert doc.workspace is None and doc.ui_key is not None and doc.display == "old"


def test_label_fields_found_in_recorded_mappings() -> None:
    """The per-agent keyword label fields of Argilla 1.23's mappings (text and token) are found, nothing else."""
    ref = reference_dir("opensearch") / "records"
    text = next(iter(json.loads((ref / "ar.dataset.team.tc-ui-big.mapping.json").read_text()).values()))["mappings"]
    token = next(iter(json.loads((ref / "ar.dataset.team.ner-ui.mapping.json").read_text()).values()))["mappings"]
    assert label_fields("TextClassification", text) == [
        "annotations.legacy-owner.labels.class_label",
        "predictions.model-v1.labels.class_label",
    ]
    assert label_fields("TokenClassification", token) == [
        "annotations.legacy-owner.entities.label",
        "predictions.model-v1.entities.label",
    ]


def test_record_labels_reads_annotation_and_every_prediction_label() -> None:
    """Low-scored prediction labels count: Argilla's log-time validation checks every one of them."""
    source = {
        "annotation": {"labels": [{"class_label": "a"}]},
        "prediction": {"labels": [{"class_label": "b"}, {"class_label": "c"}]},
    }
    assert set(record_labels(source, "labels", "class_label")) == {"a", "b", "c"}


def test_dataset_ids_and_namespace() -> None:
    """workspace/name and workspace.name are the same id; a bad ref or namespace is refused with the accepted form."""
    assert dataset_id_of("team/tc") == dataset_id_of("team.tc") == "team.tc" and dataset_id_of("old") == "old"
    for bad in ("", "/tc", "team/", "a/b/c"):
        with pytest.raises(InvalidRequest):
            dataset_id_of(bad)
    assert datasets_index("prod") == "prod.ar.datasets" and records_index(None, "team.tc") == "ar.dataset.team.tc"
    assert load_settings({"ARGILLA_NAMESPACE": "prod"}).search.namespace == "prod"
    with pytest.raises(ConfigurationError, match="ARGILLA_NAMESPACE"):
        load_settings({"ARGILLA_NAMESPACE": "Prod-1"})

"""The kinds ``?kind=`` accepts are exactly the kinds the jobs record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.core.operation_record import KINDS

pytestmark = pytest.mark.unit
OPS = Path(__file__).resolve().parents[2] / "service" / "ops"


def test_every_recorded_kind_is_accepted_and_every_accepted_kind_is_recorded() -> None:
    """Each ``kind=...`` a job in service/ops writes (literal or its module's KIND) is in KINDS, and back."""
    recorded: set[str] = set()
    for module in OPS.rglob("*.py"):
        text = module.read_text()
        recorded.update(re.findall(r'^KIND = "([a-z-]+)"', text, flags=re.MULTILINE))
        recorded.update(re.findall(r'\bkind="([a-z-]+)",\n', text))
    assert recorded == set(KINDS)

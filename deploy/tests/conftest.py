"""Fixtures for the deployment checks: the built image, Helm, the validator, and the suite's PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.tests.support import HELM, IMAGE, VALIDATOR, image_exists, tool_missing
from tests.conftest import postgres_server, postgres_url  # noqa: F401 - the suite's PostgreSQL fixtures, reused


@pytest.fixture(scope="session")
def helm() -> Path:
    """Helm v3.21.4 as deploy/tools.sh builds it."""
    if not HELM.exists():
        tool_missing(f"helm ({HELM}; run deploy/tools.sh)")
    return HELM


@pytest.fixture(scope="session")
def validator() -> Path:
    """The manifest validator (deploy/validate) as deploy/tools.sh builds it."""
    if not VALIDATOR.exists():
        tool_missing(f"the manifest validator ({VALIDATOR}; run deploy/tools.sh)")
    return VALIDATOR


@pytest.fixture(scope="session")
def image() -> str:
    """The service image, built by deploy/image.sh."""
    if not image_exists():
        tool_missing(f"the image {IMAGE} (run deploy/image.sh build)")
    return IMAGE

"""Argilla release tags and the revision each stands for, as argilla-server 2.8.0 prints them."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

RELEASE_TAGS: Final = MappingProxyType(
    {
        "1.7": "1769ee58fbb4",
        "1.8": "ae5522b4c674",
        "1.11": "3ff6484f8b37",
        "1.13": "1e629a913727",
        "1.17": "84f6b9ff6076",
        "1.18": "bda6fe24314e",
        "1.28": "ca7293c38970",
        "2.0": "237f7c674d74",
        "2.4": "660d6c6b3360",
        "2.5": "580a6553186f",
    }
)

REVISION_TAGS: Final = MappingProxyType({rev: tag for tag, rev in RELEASE_TAGS.items()})

"""Masking of secrets in URLs and free text, so logs and responses never carry them."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@\s]*)@")
MASK = "***"


def mask_url(url: str) -> str:
    """Replace the password of every ``scheme://user:password@`` in ``url`` with ``***``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", url)


def mask_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask URL passwords and each given secret (tokens, passwords) wherever it appears in ``text``."""
    masked = mask_url(text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, MASK)
    return masked

"""Masking of secrets in URLs and free text, so logs, errors and responses never carry them.

Covered forms: ``scheme://user:password@host`` (the password may hold ``@``, ``:`` or ``/``), query
parameters whose name (percent-decoded) says it is a credential (``?password=``, ``&sslpassword=``,
``?api_key=``, ...) and libpq's ``password=...`` keyword form. Known secret values (the configured
passwords and tokens, raw and percent-encoded) are replaced wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "***"
# Greedy up to the last '@' of the whitespace-free run: a password with an unescaped '@' is masked whole.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s?#\"'<>]*):(?P<password>[^\s\"'<>]*)@")
_QUERY = re.compile(r"(?P<sep>[?&;])(?P<key>[^=&;#\s\"'<>?]+)=(?P<value>[^&;#\s\"'<>]*)")
_KEYWORD = re.compile(r"(?i)\b(?P<key>(?:ssl)?pass(?:word|wd)?|pwd)\s*=\s*(?P<value>'[^']*'|\"[^\"]*\"|[^\s,;&]+)")
_SECRET_KEYS = ("password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "credential")


def is_secret_key(key: str) -> bool:
    """Whether a query parameter (percent-decoded, any case) names a credential."""
    name = unquote_plus(key).lower().replace("-", "_")
    return any(marker in name for marker in _SECRET_KEYS)


def mask_url(url: str) -> str:
    """Mask the password of every ``scheme://user:password@`` and every credential query value in ``url``."""
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", url)
    return _QUERY.sub(lambda m: f"{m['sep']}{m['key']}={MASK}" if is_secret_key(m["key"]) else m[0], masked)


def secret_forms(secret: str) -> tuple[str, ...]:
    """``secret`` as it may appear in text: raw, percent-encoded and form-encoded."""
    return tuple(dict.fromkeys(s for s in (secret, quote(secret, safe=""), quote_plus(secret), unquote(secret)) if s))


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask URL passwords, credential parameters and each given secret wherever it appears in ``text``."""
    masked = text
    # Longest first, so a secret containing another one is replaced whole.
    for form in sorted({f for s in secrets if s for f in secret_forms(s)}, key=len, reverse=True):
        masked = masked.replace(form, MASK)
    masked = mask_url(masked)
    return _KEYWORD.sub(lambda m: f"{m['key']}={MASK}", masked)


def credentials_in(url: str | None) -> tuple[str, ...]:
    """The secret values a URL carries (userinfo password, credential query values), for ``mask_text``."""
    if not url:
        return ()
    found: list[str] = []
    match = _USERINFO.search(url)
    if match and match["password"]:
        found += [match["password"], unquote(match["password"])]
    for query in _QUERY.finditer(url):
        if is_secret_key(query["key"]) and query["value"]:
            found += [query["value"], unquote_plus(query["value"])]
    return tuple(dict.fromkeys(found))

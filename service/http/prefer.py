"""RFC 7240 ``Prefer: wait=N``: how long a request may wait for its operation to finish."""

from __future__ import annotations

import math


def requested_wait(header: str | None, max_wait: float) -> float | None:
    """Seconds to wait (capped by ``max_wait``), or None when the client did not ask for ``wait``."""
    if not header:
        return None
    for preference in header.split(","):
        token = preference.split(";", 1)[0].strip()
        name, sep, value = token.partition("=")
        if name.strip().lower() != "wait" or not sep:
            continue
        try:
            seconds = float(value.strip().strip('"'))
        except ValueError:
            return None
        if math.isfinite(seconds) and seconds >= 0:
            return min(seconds, max_wait)
        return None
    return None


def applied(seconds: float) -> str:
    """The ``Preference-Applied`` value for a wait that was honoured."""
    return f"wait={int(seconds) if float(seconds).is_integer() else seconds}"

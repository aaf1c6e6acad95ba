"""Every class of the service's error tree, for tests that check each one is accounted for."""

from __future__ import annotations

from service.core.errors import MaintenanceError


def error_classes() -> list[type[MaintenanceError]]:
    """``MaintenanceError`` and all its subclasses, depth first."""
    found: list[type[MaintenanceError]] = []
    pending: list[type[MaintenanceError]] = [MaintenanceError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found

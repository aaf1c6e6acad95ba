"""The CLI's exit codes: whether a rerun can pass, for supervisors (a Kubernetes Job's podFailurePolicy).

code  name           retry?     when
0     OK             -          the command did what was asked
1     FAILED         final      refused or failed as asked: unknown revision, downgrade not allowed,
                                a migration or reindex that failed, an unknown operation or dataset
2     USAGE          final      bad command line (click)
3     CONFIGURATION  final      bad or missing settings (ARGILLA_*, ARGILLA_MAINT_*; no search engine set
                                for a command that needs one), or a database that refuses them: wrong
                                user or password, no such database
4     INTERRUPTED    transient  SIGTERM or SIGINT: the work was rolled back / stopped and recorded
                                ``interrupted``; a rerun is safe
75    TRANSIENT      transient  the database or the search engine was unreachable, or another
                                operation holds the lock: a later rerun may pass (EX_TEMPFAIL)
"""

from __future__ import annotations

from service.core.errors import (
    ConfigurationError,
    DatabaseUnavailable,
    MaintenanceError,
    OperationConflict,
    SearchEngineUnavailable,
)

OK = 0
FAILED = 1
USAGE = 2
CONFIGURATION = 3
INTERRUPTED = 4
TRANSIENT = 75

TRANSIENT_ERRORS = (DatabaseUnavailable, SearchEngineUnavailable, OperationConflict)


def for_error(exc: MaintenanceError) -> int:
    """The exit code of a domain error."""
    if isinstance(exc, ConfigurationError):
        return CONFIGURATION
    if isinstance(exc, DatabaseUnavailable) and exc.extra.get("rejected"):
        # The server answered and refused the URL's credentials or database name: no retry changes that.
        return CONFIGURATION
    if isinstance(exc, SearchEngineUnavailable) and exc.extra.get("configured") is False:
        return CONFIGURATION  # no search engine configured at all: unreachable would be a retry that cannot pass
    if isinstance(exc, TRANSIENT_ERRORS):
        return TRANSIENT
    return FAILED

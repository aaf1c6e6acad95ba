"""The in-place rebuild's last step: merge away the deleted documents it left, so scores equal a fresh index's.

Rewriting every document by ``_id`` leaves the old versions behind as deleted documents, and relevance
statistics (document frequencies) count them until segments merge. The nodes keep recent deletes as
soft deletes until they renew their retention leases (every 30 s), so the step may wait that long first.
"""

from __future__ import annotations

import structlog

from service.ops.reindex.job import DatasetJob

log = structlog.get_logger("service.reindex")

# The lease renewal (<= 30 s) plus the merge itself; past this the merge goes on in the node, unattended.
EXPUNGE_TIMEOUT = 120.0


async def expunge_deletes(job: DatasetJob) -> None:
    """A bounded ``_forcemerge?only_expunge_deletes=true`` on ``rg.<id>``, then a refresh."""
    job.progress.phase("expunging deletes")
    if not await job.search.expunge_deletes(job.name, timeout=EXPUNGE_TIMEOUT):
        log.warning("expunging deleted documents goes on in the node", index=job.name, waited_seconds=EXPUNGE_TIMEOUT)
    await job.search.refresh(job.name)

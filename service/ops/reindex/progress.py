"""What a running reindex reports: counts in the operation's progress (and to a listener), and phase timings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from service.db.records import Dataset
from service.ops.recording import Recorder
from service.ops.reindex.feed import Position, Since
from service.ops.reindex.results import SkippedDataset

ProgressListener = Callable[[dict[str, Any]], None]


class Progress:
    """Counts kept in the operation's progress (flushed by its heartbeat) and pushed to a listener (CLI bar)."""

    def __init__(self, recorder: Recorder, listener: ProgressListener | None) -> None:
        self.recorder = recorder
        self.listener = listener
        self.state: dict[str, Any] = {}
        self._started = time.perf_counter()

    def start(self, ready: list[Dataset], skipped: list[SkippedDataset]) -> None:
        self.state = {
            "datasets_total": len(ready),
            "datasets_done": 0,
            "current_dataset": None,
            "records_done": 0,
            "records_total": 0,
            "docs_per_second": 0.0,
            "phase": "starting",
            "skipped_drafts": [s.dataset_id for s in skipped],
        }
        self._publish()

    def dataset(self, dataset: Dataset, total: int) -> None:
        self._started = time.perf_counter()
        self.state.pop("checkpoint", None)
        self.state.update(
            current_dataset=str(dataset.id),
            current_name=dataset.name,
            records_done=0,
            records_total=total,
            docs_per_second=0.0,
            phase="indexing",
        )
        self._publish()

    def phase(self, phase: str) -> None:
        self.state["phase"] = phase
        self._publish()

    def written(self, count: int) -> None:
        if self.state.get("phase") != "indexing":
            return
        self.state["records_done"] += count
        elapsed = max(time.perf_counter() - self._started, 1e-6)
        self.state["docs_per_second"] = round(self.state["records_done"] / elapsed, 1)
        self._publish()

    async def checkpoint(self, dataset: Dataset, index: str, last: Position, since: Since) -> None:
        """Every record up to ``last`` (feed order) is in ``index``: stored at once, so a failed run can be resumed."""
        self.state["checkpoint"] = {
            "dataset_id": str(dataset.id),
            "index": index,
            "last_id": str(last.id),
            "last_inserted_at": last.inserted_at.isoformat(),
            "pass_start": since.time.isoformat(),
            "snapshot": since.snapshot,
        }
        self._publish()
        await self.recorder.flush()

    def backoff(self, state: dict[str, Any]) -> None:
        """The engine refuses documents as busy: what it said and how long we have been retrying (kept once it passes)."""
        self.state["backoff"] = state
        self._publish()

    async def flush(self) -> None:
        """Publish and write the progress now (what must be on record before the next step)."""
        self._publish()
        await self.recorder.flush()

    def finish_dataset(self) -> None:
        self.state["datasets_done"] += 1
        self.state["phase"] = "done"
        self._publish()

    def _publish(self) -> None:
        self.recorder.progress = dict(self.state)
        if self.listener is not None:
            self.listener(dict(self.state))


class Laps:
    """Seconds spent in each phase of one dataset's reindex (``phase_seconds`` of its outcome)."""

    def __init__(self) -> None:
        self.began = self._last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self._last, 3)
        self._last = now

    def total(self) -> float:
        return time.perf_counter() - self.began

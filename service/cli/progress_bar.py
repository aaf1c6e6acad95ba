"""The reindex progress bar on stderr: one row per dataset, fed by the operation's progress listener."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class ReindexBar:
    """Records done of records total, documents per second and the phase, per dataset."""

    def __init__(self, *, disabled: bool) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=disabled,
        )
        self.tasks: dict[str, TaskID] = {}

    def shown(self) -> AbstractContextManager[Progress]:
        """Draw the bar for the duration of the block."""
        return self.progress

    def update(self, state: dict[str, Any]) -> None:
        """The reindex's progress listener."""
        current = state.get("current_dataset")
        if current is None:
            return
        if current not in self.tasks:
            self.tasks[current] = self.progress.add_task(str(state.get("current_name") or current), total=None, rate="")
        self.progress.update(
            self.tasks[current],
            completed=state["records_done"],
            total=state["records_total"] or None,
            rate=f"{state['docs_per_second']:.0f} docs/s {state.get('phase', '')}",
        )

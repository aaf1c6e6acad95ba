"""A tiny dependency-free metrics registry rendered in the Prometheus text exposition format (0.0.4)."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable

LabelValues = tuple[str, ...]
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: LabelValues, extra: str = "") -> str:
    pairs = [f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count per label set."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.labels = name, help_text, labels
        self._values: dict[LabelValues, float] = {}
        self._lock = threading.Lock()

    def inc(self, *values: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[values] = self._values.get(values, 0.0) + amount

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for values, count in sorted(self._values.items()):
            yield f"{self.name}{_labels(self.labels, values)} {_number(count)}"


class Histogram:
    """Cumulative buckets, sum and count per label set."""

    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...], labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.labels = name, help_text, labels
        self.buckets = (*sorted(buckets), math.inf)
        self._series: dict[LabelValues, tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, seconds: float, *values: str) -> None:
        with self._lock:
            counts, total = self._series.setdefault(values, ([0] * len(self.buckets), [0.0]))
            for index, bound in enumerate(self.buckets):
                if seconds <= bound:
                    counts[index] += 1
            total[0] += seconds

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for values, (counts, total) in sorted(self._series.items()):
            for bound, count in zip(self.buckets, counts, strict=True):
                le = 'le="' + _number(bound) + '"'
                yield f"{self.name}_bucket{_labels(self.labels, values, le)} {count}"
            yield f"{self.name}_sum{_labels(self.labels, values)} {_number(total[0])}"
            yield f"{self.name}_count{_labels(self.labels, values)} {counts[-1]}"


class Metrics:
    """The service's series: operations, their durations, HTTP requests and lock waits."""

    CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(self) -> None:
        self.operations = Counter(
            "argilla_maint_operations_total", "Finished operations by kind and outcome.", ("kind", "outcome")
        )
        self.operation_seconds = Histogram(
            "argilla_maint_operation_duration_seconds", "Operation durations.", DURATION_BUCKETS, ("kind",)
        )
        self.requests = Counter(
            "argilla_maint_http_requests_total", "HTTP requests by method, route and status.", ("method", "route", "status")
        )
        self.request_seconds = Histogram(
            "argilla_maint_http_request_duration_seconds", "HTTP request latency.", LATENCY_BUCKETS, ("method", "route")
        )
        self.lock_wait = Histogram(
            "argilla_maint_lock_wait_seconds", "Time spent waiting for the migration lock.", DURATION_BUCKETS
        )

    def operation_finished(self, kind: str, status: str, duration: float) -> None:
        self.operations.inc(kind, status)
        self.operation_seconds.observe(duration, kind)

    def observe_lock_wait(self, seconds: float) -> None:
        self.lock_wait.observe(seconds)

    def http_request(self, method: str, route: str, status: int, seconds: float | None) -> None:
        self.requests.inc(method, route, str(status))
        if seconds is not None:
            self.request_seconds.observe(seconds, method, route)

    def render(self) -> str:
        series = (self.operations, self.operation_seconds, self.requests, self.request_seconds, self.lock_wait)
        return "\n".join(line for metric in series for line in metric.render()) + "\n"

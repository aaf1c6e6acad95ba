"""Dependencies the handlers receive: what the lifespan put in the application state."""

from __future__ import annotations

from typing import cast

from litestar.datastructures import State
from litestar.di import Provide

from service.core.config import Settings
from service.core.errors import DatabaseUnavailable
from service.core.metrics import Metrics
from service.ops.context import Resources
from service.ops.runner import OperationRunner


def provide_resources(state: State) -> Resources:
    resources = state.get("resources")
    if resources is None:
        raise DatabaseUnavailable("the service is starting or stopping; retry shortly")
    return cast(Resources, resources)


def provide_runner(state: State) -> OperationRunner:
    runner = state.get("runner")
    if runner is None:
        raise DatabaseUnavailable("the service is starting or stopping; retry shortly")
    return cast(OperationRunner, runner)


def provide_settings(state: State) -> Settings:
    return cast(Settings, state["settings"])


def provide_metrics(state: State) -> Metrics:
    return cast(Metrics, state["metrics"])


DEPENDENCIES = {
    "resources": Provide(provide_resources, sync_to_thread=False),
    "runner": Provide(provide_runner, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "metrics": Provide(provide_metrics, sync_to_thread=False),
}

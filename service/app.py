"""``create_app(settings)``: the Litestar application; its lifespan opens every resource (nothing at import)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version

from litestar import Litestar
from litestar.datastructures import State

from service.core.config import Settings
from service.core.errors import ConfigurationError
from service.core.metrics import Metrics
from service.http.controllers.health import livez, metrics, readyz
from service.http.controllers.legacy import legacy, legacy_labels, legacy_workspaces
from service.http.controllers.migrate import start_migrate
from service.http.controllers.operations import operation, operations
from service.http.controllers.reindex import reindex_all, reindex_dataset
from service.http.controllers.revisions import revisions
from service.http.dependencies import DEPENDENCIES
from service.http.guard import make_guard
from service.http.middleware import before_send, refuse_control_characters, request_context
from service.http.openapi import openapi_config
from service.http.problems import EXCEPTION_HANDLERS
from service.ops.runner import OperationRunner
from service.runtime import open_resources


def _version() -> str:
    try:
        return version("argilla-maintenance")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(settings: Settings) -> Litestar:
    """The maintenance API; refuses to be built without a token (``serve --dev`` makes one)."""
    if not settings.tokens:
        raise ConfigurationError(
            "no API token configured; set ARGILLA_MAINT_TOKENS (name:token[:read|:admin], tokens of 16+ characters) "
            "or ARGILLA_MAINT_TOKENS_FILE, or run `argilla-maint serve --dev` for a random one"
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            resources.metrics = app.state.metrics
            runner = OperationRunner(resources)
            await runner.start()
            app.state.resources, app.state.runner = resources, runner
            await runner.reindex_on_start()
            try:
                yield
            finally:
                app.state.resources = app.state.runner = None
                await runner.close()

    return Litestar(
        route_handlers=[
            revisions,
            start_migrate,
            reindex_all,
            reindex_dataset,
            legacy,
            legacy_labels,
            legacy_workspaces,
            operations,
            operation,
            livez,
            readyz,
            metrics,
        ],
        lifespan=[lifespan],
        dependencies=DEPENDENCIES,
        guards=[make_guard(settings.tokens, metrics_public=settings.metrics_public)],
        middleware=[request_context],
        before_send=[before_send],
        before_request=refuse_control_characters,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(_version()),
        state=State({"settings": settings, "metrics": Metrics(), "resources": None, "runner": None, "version": _version()}),
        logging_config=None,
        debug=False,
    )

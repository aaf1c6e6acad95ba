"""structlog set-up: JSON lines (console when stderr is a TTY), context ids, secrets masked."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

from service.core.secrets import mask_text


def secret_masker(secrets: tuple[str, ...] = ()) -> Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]:
    """Last line of defence: no URL password or configured secret ends up in a log line, whatever a caller passed."""

    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return mask_text(value, secrets)
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [mask(v) for v in value]
        return value

    def processor(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in event.items():
            event[key] = mask(value)
        return event

    return processor


def configure_logging(level: str = "INFO", *, json: bool | None = None, secrets: tuple[str, ...] = ()) -> None:
    """Configure structlog once for the process; ``json=None`` picks JSON unless stderr is a TTY.

    ``secrets`` (``Settings.secrets``: the configured passwords) are masked in every value of every line.
    """
    use_json = (not sys.stderr.isatty()) if json is None else json
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            secret_masker(secrets),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Alembic's own INFO lines ("Context impl ...", "Running upgrade ...") would go to stderr unformatted.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A bound structlog logger carrying the module name."""
    return structlog.get_logger(name)


class _ToStructlog(logging.Handler):
    """Hands a standard-library record to structlog, so it gets the same format, level filter and masking."""

    def emit(self, record: logging.LogRecord) -> None:
        structlog.get_logger(record.name).log(record.levelno, record.getMessage())


def forward_stdlib(name: str, level: int = logging.INFO) -> None:
    """Route the standard-library logger ``name`` (e.g. uvicorn's "Uvicorn running on ...") through structlog."""
    logger = logging.getLogger(name)
    logger.handlers = [_ToStructlog()]
    logger.setLevel(level)
    logger.propagate = False

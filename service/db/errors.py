"""The one seam where driver errors become the service's: every public database function goes through ``translated``.

Classification reads what the drivers expose, never their message text: PostgreSQL's SQLSTATE (asyncpg's
exception behind SQLAlchemy's adapted one), SQLite's ``sqlite_errorcode``, SQLAlchemy's
``connection_invalidated``, and OS-level errors (refused, unreachable, timed out).

    SQLAlchemyError | OSError | TimeoutError
    +-- cannot connect / connection lost / auth / unknown database or role -> DatabaseUnavailable (503)
    +-- SQLite busy or locked                                               -> DatabaseLocked (409)
    +-- anything else                                                       -> DatabaseError (500), message sanitized

The database's own message is kept, sanitized (URLs and the configured passwords masked), in
``DatabaseError.database_message`` and in the text of the unavailable/locked errors where it helps.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any, ParamSpec, TypeVar, cast

import asyncpg
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from service.core.errors import DatabaseError, DatabaseLocked, DatabaseUnavailable, MaintenanceError
from service.core.secrets import credentials_in, mask_text
from service.db.urls import masked

P = ParamSpec("P")
R = TypeVar("R")
MAX_MESSAGE = 500
# SQLite result codes (primary byte): busy, locked; cannot open, I/O error, not a database, read-only, full, corrupt.
_SQLITE_LOCKED = {5, 6}
_SQLITE_UNAVAILABLE = {
    14: "cannot open the database file",
    10: "disk I/O error",
    26: "the file is not a database",
    8: "the database is read-only",
    13: "the disk is full",
    11: "the database file is corrupt",
}
# PostgreSQL SQLSTATEs that mean "not reachable as configured", with the cause an operator can act on.
_PG_UNAVAILABLE = {
    "28P01": "password authentication failed",
    "28000": "the role is not allowed to connect or does not exist",
    "3D000": "the database does not exist",
    "53300": "the server has too many connections",
    "57P01": "the server is shutting down",
    "57P02": "the server crashed",
    "57P03": "the server is starting up or shutting down",
    "57P04": "the database was dropped",
}
# Of those, the ones where the server answered and refused the URL itself: no retry can pass until it changes.
_PG_REJECTED = {"28P01", "28000", "3D000"}
# asyncpg's own errors reach us where the raw driver connection is used (the streamed document query).
DATABASE_FAILURES: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception: asyncpg's behind SQLAlchemy's adapted one, sqlite3's as is."""
    orig: BaseException = getattr(exc, "orig", None) or exc
    return cast(BaseException, getattr(orig, "driver_exception", None) or orig)


UNDEFINED_TABLE = "42P01"


def _sqlstate(error: BaseException) -> str | None:
    value = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return str(value) if value else None


def sqlstate_of(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of a (SQLAlchemy-wrapped) driver error, or None."""
    return _sqlstate(_driver_error(exc))


def database_message(exc: BaseException, url: str | URL) -> str:
    """The database's message for ``exc``, without URLs or passwords, on one line and bounded."""
    error = _driver_error(exc)
    text = str(getattr(error, "message", None) or error) or type(error).__name__
    detail = getattr(error, "detail", None)
    if detail:
        text = f"{text} ({detail})"
    raw = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    clean = " ".join(mask_text(text, credentials_in(raw)).split())
    return clean if len(clean) <= MAX_MESSAGE else clean[: MAX_MESSAGE - 1] + "…"


def translate(exc: BaseException, url: str | URL) -> MaintenanceError:
    """The service error for a driver failure on the database at ``url``."""
    raw = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    where = masked(raw)
    error = _driver_error(exc)
    message = database_message(exc, raw)
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _SQLITE_LOCKED:
        return DatabaseLocked(
            "the SQLite database is locked by another connection (a migration holds its write lock for its whole run); "
            "nothing was changed: retry when it has finished"
        )
    cause = _unavailable_cause(exc, error, code)
    if cause is not None:
        return DatabaseUnavailable(
            f"cannot use the database at {where}: {cause} ({message}); check ARGILLA_DATABASE_URL and that the server is up",
            reason=cause,
            database_message=message,
            rejected=_sqlstate(error) in _PG_REJECTED,
        )
    return DatabaseError(
        f"the database refused a request ({type(error).__name__}: {message})",
        error_type=type(error).__name__,
        database_message=message,
    )


def _unavailable_cause(exc: BaseException, error: BaseException, sqlite_code: Any) -> str | None:
    if isinstance(sqlite_code, int) and sqlite_code & 0xFF in _SQLITE_UNAVAILABLE:
        return _SQLITE_UNAVAILABLE[sqlite_code & 0xFF]
    state = _sqlstate(error)
    if state in _PG_UNAVAILABLE:
        return _PG_UNAVAILABLE[state]
    if state is not None and state.startswith("08"):
        return "the connection failed or was lost"
    if isinstance(error, ConnectionRefusedError):
        return "the connection was refused (is the server running and listening there?)"
    if isinstance(error, TimeoutError):
        return "connecting timed out"
    if isinstance(error, OSError):
        return "the server cannot be reached (host or network)"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "the connection was lost"
    # asyncpg's connection-level errors that carry no SQLSTATE (closed or broken connections).
    if type(error).__name__ in {"ConnectionDoesNotExistError", "InterfaceError", "InternalClientError"}:
        return "the connection was lost"
    return None


@contextlib.contextmanager
def translate_errors(url: str | URL) -> Iterator[None]:
    """Raise the service error for any driver failure in the block (service errors pass through)."""
    try:
        yield
    except MaintenanceError:
        raise
    except DATABASE_FAILURES as exc:
        raise translate(exc, url) from exc


def _url_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | URL:
    for value in (*args, *kwargs.values()):
        for holder in (value, getattr(value, "engine", None), getattr(value, "settings", None)):
            url = getattr(holder, "url", None)
            if isinstance(url, URL):
                return url
            database_url = getattr(holder, "database_url", None)
            if isinstance(database_url, str):
                return database_url
    return "the configured database"


def translated(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a database function (coroutine or async generator): its driver failures become service errors.

    The URL for the message comes from the first argument that has one (an engine, a connection, settings).
    """
    if inspect.isasyncgenfunction(function):

        @functools.wraps(function)
        async def generator(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
            # Closed with the wrapper: an abandoned stream gives its connection back at once, not at garbage collection.
            with translate_errors(_url_of(args, kwargs)):
                async with contextlib.aclosing(function(*args, **kwargs)) as stream:
                    async for item in stream:
                        yield item

        return cast(Callable[P, R], generator)

    @functools.wraps(function)
    async def coroutine(*args: Any, **kwargs: Any) -> Any:
        with translate_errors(_url_of(args, kwargs)):
            return await function(*args, **kwargs)  # type: ignore[misc]

    return cast(Callable[P, R], coroutine)

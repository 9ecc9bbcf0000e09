"""Which database errors pass (retry the same work later) and which belong to the work itself.

Every consumer, relay and request asks ``is_transient`` rather than keeping a list of its own.
Transient: the connection was lost or refused, the server is starting up or shutting down, too
many connections, a serialization failure or deadlock (PostgreSQL asks to retry those), a pool
or network time-out. Anything else (a constraint, bad data, a bug) is the work's own error.

SQLAlchemy wraps asyncpg's errors in its generic ``DBAPIError`` during a restart, so the chain
of causes is searched, down to asyncpg's own exception and its SQLSTATE.
"""

from collections.abc import Iterator

import asyncpg
from sqlalchemy import exc as sa

# SQLSTATE classes and codes that say "try again": connection exceptions (08), insufficient
# resources (53), operator intervention (57P01-57P03: shutdown, crash, starting up),
# serialization failure and deadlock (40001, 40P01), lock not available (55P03).
_TRANSIENT_CLASSES = {"08", "53"}
_TRANSIENT_CODES = {"57P01", "57P02", "57P03", "40001", "40P01", "55P03"}

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    sa.OperationalError,
    sa.InterfaceError,
    sa.DisconnectionError,
    sa.TimeoutError,  # the pool had no connection to give in time
    asyncpg.PostgresConnectionError,  # e.g. "connection was closed in the middle of operation"
    asyncpg.InterfaceError,  # e.g. "connection is closed"
    asyncpg.CannotConnectNowError,
    ConnectionError,
    OSError,
    TimeoutError,
)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE anywhere in the chain of causes, if the server sent one."""
    for cause in _causes(exc):
        code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(exc: BaseException) -> bool:
    """True when the same work may succeed if tried again once the database is back."""
    for cause in _causes(exc):
        if isinstance(cause, sa.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, _TRANSIENT_TYPES):
            return True
    code = sqlstate(exc)
    return code is not None and (code[:2] in _TRANSIENT_CLASSES or code in _TRANSIENT_CODES)

"""Which database errors are retried in place and which belong to the work."""

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from civic_common.db.errors import is_transient, sqlstate

pytestmark = pytest.mark.unit


def wrapped(cause: Exception) -> DBAPIError:
    return DBAPIError("SELECT 1", None, cause)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed mid-operation")),
        wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        wrapped(asyncpg.exceptions.TooManyConnectionsError("too many clients already")),
        wrapped(asyncpg.exceptions.SerializationError("could not serialize access")),
        wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")),
        wrapped(asyncpg.exceptions.InterfaceError("connection is closed")),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=lambda e: type(getattr(e, "orig", e)).__name__,
)
def test_outages_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("INSERT", None, asyncpg.exceptions.UniqueViolationError("duplicate key")),
        wrapped(asyncpg.exceptions.DataError("invalid input syntax")),
        wrapped(asyncpg.exceptions.UndefinedTableError("relation does not exist")),
        ValueError("not a database error"),
    ],
    ids=lambda e: type(getattr(e, "orig", e)).__name__,
)
def test_the_works_own_errors_are_not(error):
    assert not is_transient(error)


def test_the_sqlstate_is_found_under_the_wrapper():
    assert sqlstate(wrapped(asyncpg.exceptions.CannotConnectNowError("x"))) == "57P03"

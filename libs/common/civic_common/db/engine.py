"""Async SQLAlchemy engines on asyncpg."""

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Per process: a pool of 10, no overflow. docs/runbook.md ("Connection budget") adds up the
# processes against Postgres's max_connections; tests/contract/test_compose.py checks compose.
# (It was 5 plus 5 overflow, the same 10 at most: but an overflow connection is closed when it
# comes back, so a busy api opened and closed connections all the time, a connect, TLS attempt,
# authentication and statement preparation each; bench/intake_register.py.)
POOL_SIZE = 10
MAX_OVERFLOW = 0


def create_engine(
    url: str, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW
) -> AsyncEngine:
    # No pre-ping (a round trip per checkout): connections are recycled instead, and one that
    # died with its server fails its transaction, which callers retry (consumers do it alone).
    # hide_parameters: an error's text never carries the statement's values (personal data)
    # into a log, a dead letter's reason or an answer.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=300,
        hide_parameters=True,
    )


def asyncpg_dsn(url: str) -> str:
    """The plain libpq DSN asyncpg wants (for LISTEN and admin work) from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

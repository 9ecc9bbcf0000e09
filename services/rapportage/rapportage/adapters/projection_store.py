"""Writing the read models: idempotent upserts, so a redelivered or replayed event changes
nothing it did not change the first time."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, and_, delete, or_, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rapportage.adapters.tables import PROJECTIONS, messaging
from rapportage.domain.facts import Row


async def upsert_snapshot(session: AsyncSession, table: Table, row: Row) -> None:
    """Full snapshot by id: a newer sequence replaces the row, an older one is ignored (events of
    one aggregate may be replayed or arrive late)."""
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**row)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[key],
            set_={c: statement.excluded[c] for c in row if c != key.name},
            where=table.c.sequence < statement.excluded.sequence,
        )
    )


async def upsert_fact(session: AsyncSession, table: Table, row: Row) -> None:
    """A fact that only grows more complete: the latest event about it wins."""
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**row)
    update = {c: statement.excluded[c] for c in row if c != key.name}
    await session.execute(statement.on_conflict_do_update(index_elements=[key], set_=update))


async def upsert_latest(session: AsyncSession, table: Table, row: Row) -> None:
    """A fact with a moment (``status_at``): a later fact replaces it, an earlier one arriving
    late does not."""
    keys = list(table.primary_key.columns)
    statement = insert(table).values(**row)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={c: statement.excluded[c] for c in row if c not in {k.name for k in keys}},
            where=table.c.status_at <= statement.excluded.status_at,
        )
    )


async def set_status(
    session: AsyncSession, table: Table, key: Row, status: str, at: datetime
) -> None:
    """Move an existing row to ``status`` unless a later status was recorded already."""
    condition = and_(*(table.c[k] == v for k, v in key.items()))
    newer = or_(table.c.status_at.is_(None), table.c.status_at <= at)
    await session.execute(
        table.update().where(condition, newer).values(status=status, status_at=at)
    )


async def update_fact(session: AsyncSession, table: Table, key: object, values: Row) -> None:
    column = next(iter(table.primary_key.columns))
    await session.execute(table.update().where(column == key).values(**values))


async def empty_projections(session: AsyncSession, topics: Sequence[str]) -> None:
    """Empty every read model and forget the inbox entries of ``topics`` so they replay.

    The inbox lock comes first: the live worker's next transaction waits at its inbox insert
    until the rebuild commits (no deadlock on the rows both write). DELETE, not TRUNCATE, so
    reports keep reading the old state until then.
    """
    await session.execute(text("LOCK TABLE rapportage.inbox IN EXCLUSIVE MODE"))
    for table in PROJECTIONS:
        await session.execute(delete(table))
    await session.execute(delete(messaging.inbox).where(messaging.inbox.c.topic.in_(topics)))

"""Writing the read models. Projections describe their changes as writes; the live worker
applies them at once, the rebuild collects a batch and applies it in bulk. Every write is
idempotent or guarded, so a redelivered or replayed event changes nothing it did not change the
first time."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy import Table, and_, delete, or_, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rapportage.adapters.tables import PROJECTIONS, messaging

Row = dict[str, Any]
_ROWS = TypeAdapter(list[Row])  # a batch as JSON: uuids, decimals and dates as Postgres reads them


@dataclass(frozen=True)
class Upsert:
    """``snapshot``: a full state, the highest ``sequence`` wins; ``latest``: the latest
    ``status_at`` wins; ``fact``: a fact that only grows more complete, the last write wins."""

    table: Table
    row: Row
    mode: Literal["snapshot", "latest", "fact"]


@dataclass(frozen=True)
class Increment:
    table: Table
    key: Row
    column: str
    by: int = 1


@dataclass(frozen=True)
class Update:
    """Change an existing row; with ``status_at``, only if no later status was recorded."""

    table: Table
    key: Row
    values: Row
    status_at: datetime | None = None


@dataclass(frozen=True)
class Delete:
    """Remove the rows matching ``key`` (e.g. the facts of a record merged into another)."""

    table: Table
    key: Row


Write = Upsert | Increment | Update | Delete


@cache
def _keys(table: Table) -> tuple[str, ...]:
    """The primary key's column names (asked once per write in a rebuild: kept)."""
    return tuple(c.name for c in table.primary_key.columns)


def _upsert_statement(table: Table, mode: str, columns: Iterable[str]) -> Any:
    keys = _keys(table)
    statement = insert(table)
    where = {
        "snapshot": lambda: table.c.sequence < statement.excluded.sequence,
        "latest": lambda: table.c.status_at <= statement.excluded.status_at,
        "fact": lambda: None,
    }[mode]()
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={c: statement.excluded[c] for c in columns if c not in keys},
        where=where,
    )


def _increment_statement(table: Table, column: str) -> Any:
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=_keys(table),
        set_={column: table.c[column] + statement.excluded[column]},
    )


async def _update(session: AsyncSession, write: Update) -> None:
    condition = and_(*(write.table.c[k] == v for k, v in write.key.items()))
    values = dict(write.values)
    if write.status_at is not None:
        column = write.table.c.status_at
        condition = and_(condition, or_(column.is_(None), column <= write.status_at))
        values["status_at"] = write.status_at
    await session.execute(write.table.update().where(condition).values(**values))


async def _delete(session: AsyncSession, write: Delete) -> None:
    condition = and_(*(write.table.c[k] == v for k, v in write.key.items()))
    await session.execute(write.table.delete().where(condition))


async def _change(session: AsyncSession, write: Update | Delete) -> None:
    if isinstance(write, Delete):
        await _delete(session, write)
    else:
        await _update(session, write)


async def apply(session: AsyncSession, writes: Sequence[Write]) -> None:
    """Apply one event's writes, in order (the live path)."""
    for write in writes:
        if isinstance(write, Upsert):
            await session.execute(_upsert_statement(write.table, write.mode, write.row), write.row)
        elif isinstance(write, Increment):
            row = write.key | {write.column: write.by}
            await session.execute(_increment_statement(write.table, write.column), row)
        else:
            await _change(session, write)


@dataclass
class BulkWriter:
    """Collects the writes of many events and applies them with one statement per table.

    Within a batch an upsert is reduced to the row that would win (highest sequence, latest
    status, last fact) and increments are summed; upserts go first, so the updates that follow
    (status changes, corrections) find their rows, in the order their events came.
    """

    upserts: dict[tuple[str, str], dict[tuple[Any, ...], Row]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    increments: dict[tuple[str, str], dict[tuple[Any, ...], int]] = field(default_factory=dict)
    updates: list[Update | Delete] = field(default_factory=list)

    def add(self, writes: Sequence[Write]) -> None:
        for write in writes:
            self.tables[write.table.name] = write.table
            if isinstance(write, Upsert):
                rows = self.upserts.setdefault((write.table.name, write.mode), {})
                key = tuple(write.row[k] for k in _keys(write.table))
                held = rows.get(key)
                if held is None or _wins(write.mode, write.row, held):
                    rows[key] = write.row
            elif isinstance(write, Increment):
                sums = self.increments.setdefault((write.table.name, write.column), {})
                key = tuple(write.key[k] for k in _keys(write.table))
                sums[key] = sums.get(key, 0) + write.by
            else:
                self.updates.append(write)

    async def flush(self, session: AsyncSession) -> None:
        """Apply what was collected through ``session``: every table's upserts and increments
        go to the table in one ``INSERT .. SELECT .. ON CONFLICT`` over the batch sent as one
        JSON document (the same conditions as the live path's statements);
        then the updates and deletions, one by one, in their events' order."""
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        for (name, mode), rows in self.upserts.items():
            table = self.tables[name]
            columns = list(next(iter(rows.values())))
            sql = _upsert_sql(table, mode, columns)
            await _upsert_rows(raw, table, columns, list(rows.values()), sql)
        for (name, column), sums in self.increments.items():
            table = self.tables[name]
            keys = _keys(table)
            rows = [dict(zip(keys, key, strict=True)) | {column: n} for key, n in sums.items()]
            await _upsert_rows(raw, table, [*keys, column], rows, _increment_sql(table, column))
        for update in self.updates:
            await _change(session, update)
        self.upserts.clear()
        self.increments.clear()
        self.updates.clear()


async def _upsert_rows(
    raw: Any, table: Table, columns: list[str], rows: list[Row], sql: str
) -> None:
    """Run ``sql`` over ``rows`` sent as one JSON document (one round trip; Postgres turns it
    into rows of ``table``'s type with ``json_populate_recordset``)."""
    await raw.execute(sql, _ROWS.dump_json(rows).decode())


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _rows_of(table: Table) -> str:
    """The batch's rows, as ``table``'s row type, from the statement's one parameter."""
    return f"json_populate_recordset(NULL::{table.fullname}, $1::json)"


@cache
def _upsert_sql_cached(table: Table, mode: str, columns: tuple[str, ...]) -> str:
    keys = _keys(table)
    names = _quoted(columns)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in keys)
    where = {
        "snapshot": " WHERE t.sequence < EXCLUDED.sequence",
        "latest": " WHERE t.status_at <= EXCLUDED.status_at",
        "fact": "",
    }[mode]
    conflict = f"DO UPDATE SET {updates}{where}" if updates else "DO NOTHING"
    return (
        f"INSERT INTO {table.fullname} AS t ({names}) SELECT {names} FROM {_rows_of(table)} "
        f"ON CONFLICT ({_quoted(keys)}) {conflict}"
    )


def _upsert_sql(table: Table, mode: str, columns: list[str]) -> str:
    """The bulk twin of ``_upsert_statement``: the same winner, from the staging table."""
    return _upsert_sql_cached(table, mode, tuple(columns))


@cache
def _increment_sql(table: Table, column: str) -> str:
    """The bulk twin of ``_increment_statement``."""
    keys = _quoted(_keys(table))
    names = f'{keys}, "{column}"'
    return (
        f"INSERT INTO {table.fullname} AS t ({names}) SELECT {names} FROM {_rows_of(table)} "
        f'ON CONFLICT ({keys}) DO UPDATE SET "{column}" = t."{column}" + EXCLUDED."{column}"'
    )


def _wins(mode: str, row: Row, held: Row) -> bool:
    if mode == "snapshot":
        return row["sequence"] > held["sequence"]
    if mode == "latest":
        return row["status_at"] >= held["status_at"]
    return True


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

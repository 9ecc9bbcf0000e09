"""Writing the read models. Projections describe their changes as writes; the live worker
applies them at once, the rebuild collects a batch and applies it in bulk. Every write is
idempotent or guarded, so a redelivered or replayed event changes nothing it did not change the
first time."""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any, Literal

from sqlalchemy import JSON, Table, and_, delete, or_, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rapportage.adapters.tables import PROJECTIONS, messaging

Row = dict[str, Any]


# Not frozen, with slots: a rebuild makes one or two per event, and a frozen dataclass's
# __init__ sets each field through object.__setattr__ (several times slower).
@dataclass(slots=True)
class Upsert:
    """``snapshot``: a full state, the highest ``sequence`` wins; ``latest``: the latest
    ``status_at`` wins; ``fact``: a fact that only grows more complete, the last write wins."""

    table: Table
    row: Row
    mode: Literal["snapshot", "latest", "fact"]


@dataclass(slots=True)
class Increment:
    table: Table
    key: Row
    column: str
    by: int = 1


@dataclass(slots=True)
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


@cache
def _key_of(table: Table) -> Callable[[Row], tuple[Any, ...]]:
    """A row's primary key as a tuple (one C call per write in a rebuild)."""
    keys = _keys(table)
    if len(keys) == 1:
        (only,) = keys
        return lambda row: (row[only],)
    return itemgetter(*keys)


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
        # Per event of a rebuild: kept lean (py-spy, bench/rapportage_rebuild.py).
        for write in writes:
            table = write.table
            name = table.name
            self.tables[name] = table
            if type(write) is Upsert:
                group = (name, write.mode)
                rows = self.upserts.get(group)
                if rows is None:
                    rows = self.upserts[group] = {}
                row = write.row
                key = _key_of(table)(row)
                held = rows.get(key)
                if held is None or _wins(write.mode, row, held):
                    rows[key] = row
            elif type(write) is Increment:
                group = (name, write.column)
                sums = self.increments.get(group)
                if sums is None:
                    sums = self.increments[group] = {}
                key = _key_of(table)(write.key)
                sums[key] = sums.get(key, 0) + write.by
            else:
                self.updates.append(write)

    async def flush(self, session: AsyncSession) -> None:
        """Apply what was collected through ``session``: every table's upserts and increments
        go to its staging table (``stage``) with one binary COPY, then to the table in one
        ``INSERT .. SELECT .. ON CONFLICT`` (the same conditions as the live path's
        statements); then the updates and deletions, one by one, in their events' order."""
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        for (name, mode), rows in self.upserts.items():
            table = self.tables[name]
            columns = tuple(next(iter(rows.values())))
            records = list(map(_record_of(table, columns), rows.values()))
            await _through_staging(raw, table, columns, records, _upsert_sql(table, mode, columns))
        for (name, column), sums in self.increments.items():
            table = self.tables[name]
            columns = (*_keys(table), column)
            records = [(*key, n) for key, n in sums.items()]
            await _through_staging(raw, table, columns, records, _increment_sql(table, column))
        for update in self.updates:
            await _change(session, update)
        self.upserts.clear()
        self.increments.clear()
        self.updates.clear()


def staging_name(table: Table) -> str:
    return f"rebuild_{table.name}"


async def stage(session: AsyncSession) -> None:
    """Create the rebuild's staging tables in its transaction: of each read model an unlogged
    copy of its columns without constraints, always of the table as it is now (no migration to
    keep in step); ``unstage`` drops them before the rebuild commits, so a failed rebuild
    leaves none behind. Rows reach a staging table by binary COPY (no JSON to write or parse;
    the service role may not create temporary tables, but may create tables in its schema)."""
    for table in PROJECTIONS:
        await session.execute(
            text(
                f'CREATE UNLOGGED TABLE {table.schema}."{staging_name(table)}" AS '
                f"SELECT * FROM {table.fullname} WITH NO DATA"
            )
        )


async def unstage(session: AsyncSession) -> None:
    """Drop the staging tables, and gather the rebuilt read models' statistics in the same
    transaction: the first reports after the commit are planned on the rebuilt rows, not on
    statistics of the state they replace (autovacuum comes by only later)."""
    for table in PROJECTIONS:
        await session.execute(text(f'DROP TABLE {table.schema}."{staging_name(table)}"'))
        await session.execute(text(f"ANALYZE {table.fullname}"))


@cache
def _record_of(table: Table, columns: tuple[str, ...]) -> Callable[[Row], tuple[Any, ...]]:
    """A row as the tuple COPY takes, in ``columns``' order; JSON columns as their text (the
    driver's JSON codec takes text)."""
    json_at = [n for n, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    get = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    if not json_at:
        return get

    def record(row: Row) -> tuple[Any, ...]:
        values = list(get(row))
        for n in json_at:
            values[n] = json.dumps(values[n], separators=(",", ":"), default=str)
        return tuple(values)

    return record


async def _through_staging(
    raw: Any, table: Table, columns: tuple[str, ...], records: list[tuple[Any, ...]], sql: str
) -> None:
    """COPY ``records`` into ``table``'s staging table, run ``sql`` (which reads it), empty it."""
    await raw.copy_records_to_table(
        staging_name(table), schema_name=table.schema, columns=columns, records=records
    )
    await raw.execute(f'{sql}; TRUNCATE {table.schema}."{staging_name(table)}"')


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _rows_of(table: Table) -> str:
    """The batch's rows: the staging table of ``table``."""
    return f'{table.schema}."{staging_name(table)}"'


@cache
def _upsert_sql(table: Table, mode: str, columns: tuple[str, ...]) -> str:
    """The bulk twin of ``_upsert_statement``: the same winner, from the staging table."""
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

"""Storage of the organisation-side aggregates as validated JSON documents."""

from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from trajecten.adapters.tables import organisations

M = TypeVar("M", bound=BaseModel)


class Documents(Generic[M]):
    def __init__(self, session: AsyncSession, table: Table, model: type[M]) -> None:
        self._session, self._table, self._model = session, table, model

    async def get(self, id_: UUID, *, lock: bool = False) -> M | None:
        query = select(self._table.c.data).where(self._table.c.id == id_)
        data = await self._session.scalar(query.with_for_update() if lock else query)
        return None if data is None else self._model.model_validate(data)

    async def add(self, document: M) -> None:
        await self._session.execute(self._table.insert().values(**self._row(document)))

    async def save(self, document: M) -> None:
        row = self._row(document)
        await self._session.execute(
            self._table.update().where(self._table.c.id == row["id"]).values(**row)
        )

    async def page(self, after: UUID | None, limit: int) -> list[M]:
        """In id order from after ``after``: stable under inserts while someone pages."""
        query = select(self._table.c.data).order_by(self._table.c.id).limit(limit)
        if after is not None:
            query = query.where(self._table.c.id > after)
        return [self._model.model_validate(r) for r in await self._session.scalars(query)]

    @staticmethod
    def _row(document: BaseModel) -> dict[str, Any]:
        data = document.model_dump(mode="json")
        return {"id": data["id"], "version": data["version"], "data": data}


async def upsert_organisation(session: AsyncSession, **values: Any) -> None:
    statement = insert(organisations).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[organisations.c.id],
            set_={k: statement.excluded[k] for k in values if k != "id"},
        )
    )


async def organisation(session: AsyncSession, organisation_id: UUID) -> dict[str, Any] | None:
    row = (
        await session.execute(select(organisations).where(organisations.c.id == organisation_id))
    ).first()
    return None if row is None else dict(row._mapping)

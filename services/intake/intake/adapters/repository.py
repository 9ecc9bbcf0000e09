"""Persons in the intake schema."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.adapters.tables import persons
from intake.domain.person import Person


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, person: Person, registered_by: str) -> None:
        await self._session.execute(
            persons.insert().values(**vars(person), registered_by=registered_by)
        )

    async def get(self, person_id: UUID) -> Person | None:
        row = (
            (await self._session.execute(select(persons).where(persons.c.id == person_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return Person(**{k: v for k, v in row.items() if k != "registered_by"})

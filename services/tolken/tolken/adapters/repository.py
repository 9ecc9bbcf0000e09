"""Language profiles in the tolken schema."""

from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tolken.adapters.tables import language_profiles as lp
from tolken.domain.interpreters import Modality
from tolken.domain.language_profile import LanguageProfile


class LanguageProfileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, profile: LanguageProfile) -> None:
        values = {
            "languages": list(profile.languages),
            "contact_language": profile.contact_language,
            "interpreter_language": profile.interpreter_language,
            "interpreter_modality": profile.interpreter_modality,
            "municipality_nis": profile.municipality_nis,
        }
        await self._session.execute(
            insert(lp)
            .values(person_id=profile.person_id, **values)
            .on_conflict_do_update(
                index_elements=[lp.c.person_id], set_=values | {"updated_at": func.now()}
            )
        )

    async def get(self, person_id: UUID) -> LanguageProfile | None:
        row = (
            await self._session.execute(
                select(
                    lp.c.person_id,
                    lp.c.languages,
                    lp.c.contact_language,
                    lp.c.interpreter_language,
                    lp.c.interpreter_modality,
                    lp.c.municipality_nis,
                ).where(lp.c.person_id == person_id)
            )
        ).first()
        if row is None:
            return None
        return LanguageProfile(
            row.person_id,
            tuple(row.languages),
            row.contact_language,
            row.interpreter_language,
            Modality(row.interpreter_modality) if row.interpreter_modality else None,
            row.municipality_nis,
        )

    async def move(self, person_id: UUID, into: UUID) -> None:
        """The profile of a record merged away becomes the survivor's unless it has its own."""
        if await self.get(into) is None:
            await self._session.execute(
                update(lp).where(lp.c.person_id == person_id).values(person_id=into)
            )
        await self.delete(person_id)

    async def delete(self, person_id: UUID) -> None:
        await self._session.execute(delete(lp).where(lp.c.person_id == person_id))

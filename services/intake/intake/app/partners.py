"""A partner reads a person under its legal basis (the resource behind a thin notification)."""

from typing import Any
from uuid import UUID

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from intake.adapters.repository import PersonRepository
from intake.app.persons import PersonNotFound
from intake.domain.disclosure import PERSON_FIELDS, NotDisclosed, disclosed, in_scope


async def read_person_for_partner(
    uow: UnitOfWork, person_id: UUID, basis: str, by: Principal
) -> dict[str, Any]:
    """Only persons in the partner's scope (else exactly like an unknown id), only the fields
    its basis allows; every read is audited with the basis it was made under."""
    if basis not in PERSON_FIELDS:
        raise NotDisclosed(basis)
    async with uow:
        person = await PersonRepository(uow.session).get(person_id)
        if person is None or not in_scope(person, by.municipality):
            raise PersonNotFound
        await uow.audit(by, "read", "person", person_id, f"partner, basis {basis}")
        await uow.commit()
    return disclosed(person, basis)

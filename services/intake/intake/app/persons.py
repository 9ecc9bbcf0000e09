"""Use cases on persons: each takes a unit of work and the acting principal."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import PersonRegistered
from intake.adapters.repository import PersonRepository
from intake.domain.person import Person


@dataclass(frozen=True)
class RegisterPerson:
    given_name: str
    family_name: str
    birth_date: date
    municipality_nis: str
    languages: list[str]
    contact_language: str | None = None
    interpreter_language: str | None = None


async def register_person(uow: UnitOfWork, command: RegisterPerson, by: Principal) -> Person:
    person = Person(**vars(command), registered_at=datetime.now(UTC))
    async with uow:
        await PersonRepository(uow.session).add(person, registered_by=by.subject)
        await uow.audit(by, "create", "person", person.id)
        await uow.publish(
            PersonRegistered(
                person_id=person.id,
                registered_at=person.registered_at,
                municipality_nis=person.municipality_nis,
                languages=person.languages,
                contact_language=person.contact_language,
                interpreter_language=person.interpreter_language,
            ),
            key=person.id,
            sequence=person.version,
        )
        await uow.commit()
    return person


async def read_person(uow: UnitOfWork, person_id: UUID, by: Principal) -> Person | None:
    """Reading personal data leaves a trace in the audit log."""
    async with uow:
        person = await PersonRepository(uow.session).get(person_id)
        if person is not None:
            await uow.audit(by, "read", "person", person_id)
            await uow.commit()
    return person

"""Use cases on language profiles."""

from uuid import UUID

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import PersonRegistered
from civic_common.events.contracts.intake import (
    PersonCorrected,
    PersonErased,
    PersonMerged,
    PersonTransferred,
)
from civic_common.events.envelope import Envelope
from tolken.adapters.registry import forget_person, move_person
from tolken.adapters.repository import LanguageProfileRepository
from tolken.domain.interpreters import Modality
from tolken.domain.language_profile import LanguageProfile


async def on_person_registered(
    uow: UnitOfWork, event: PersonRegistered | PersonCorrected, _: Envelope
) -> None:
    """Registered or corrected: the profile becomes what intake now knows."""
    await LanguageProfileRepository(uow.session).save(
        LanguageProfile(
            person_id=event.person_id,
            languages=tuple(event.languages),
            contact_language=event.contact_language,
            interpreter_language=event.interpreter_language,
            interpreter_modality=Modality(event.interpreter_modality)
            if event.interpreter_modality
            else None,
            municipality_nis=event.municipality_nis,
        )
    )


async def on_person_erased(uow: UnitOfWork, event: PersonErased, _: Envelope) -> None:
    """GDPR erasure: drop the profile and unlink requests and bookings from the person id;
    requests themselves stay (they are the organisations' orders and the billing record)."""
    await LanguageProfileRepository(uow.session).delete(event.person_id)
    await forget_person(uow.session, event.person_id)


async def on_person_merged(uow: UnitOfWork, event: PersonMerged, _: Envelope) -> None:
    """Re-points the requests and assignments of the record merged away to the surviving
    record; its language profile becomes the survivor's unless the survivor has one (intake's
    correction of the survivor then brings the chosen languages)."""
    await LanguageProfileRepository(uow.session).move(event.person_id, event.into)
    await move_person(uow.session, event.person_id, event.into)


async def profile_of(uow: UnitOfWork, person_id: UUID, by: Principal) -> LanguageProfile | None:
    async with uow:
        profile = await LanguageProfileRepository(uow.session).get(person_id)
        if profile is not None:
            await uow.audit(by, "read", "person.language_profile", person_id)
            await uow.commit()
    return profile


async def on_person_transferred(uow: UnitOfWork, event: PersonTransferred, _: Envelope) -> None:
    """Nothing moves: interpreting is one service for every agency, not split by agency."""

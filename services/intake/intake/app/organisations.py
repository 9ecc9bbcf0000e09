"""Use cases on organisations and their candidacies."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.intake import CandidacySubmitted, OrganisationRegistered
from intake.adapters.repository import OrganisationRepository
from intake.app.persons import InvalidPerson
from intake.domain.candidacy import assess
from intake.reference import candidacy_eligibility, municipalities


class DuplicateOrganisation(Exception):
    def __init__(self, existing: UUID) -> None:
        super().__init__(str(existing))
        self.existing = existing


class InvalidInput(InvalidPerson):
    """Field errors on an organisation or candidacy (same shape as a person's)."""


async def register_organisation(
    uow: UnitOfWork, fields: dict[str, Any], by: Principal
) -> dict[str, Any]:
    if fields["municipality_nis"] not in municipalities():
        raise InvalidInput({"municipality_nis": "Deze NIS-code is geen bestaande gemeente."})
    organisation = fields | {
        "id": uuid4(),
        "version": 1,
        "registered_at": datetime.now(UTC),
        "registered_by": by.subject,
    }
    async with uow:
        repository = OrganisationRepository(uow.session)
        if existing := await repository.id_with_number(fields["enterprise_number"]):
            raise DuplicateOrganisation(existing)
        try:
            await repository.add(organisation)
        except IntegrityError as exc:
            await uow.session.rollback()
            existing = await repository.id_with_number(fields["enterprise_number"])
            if existing is None:
                raise
            raise DuplicateOrganisation(existing) from exc
        await uow.audit(by, "create", "organisation", organisation["id"])
        await uow.publish(
            OrganisationRegistered(
                organisation_id=organisation["id"],
                enterprise_number=organisation["enterprise_number"],
                name=organisation["name"],
                organisation_type=organisation["organisation_type"],
                staff_size=organisation["staff_size"],
                municipality_nis=organisation["municipality_nis"],
                registered_at=organisation["registered_at"],
            ),
            key=organisation["id"],
            sequence=1,
        )
        await uow.commit()
    return organisation


async def read_organisation(uow: UnitOfWork, organisation_id: UUID) -> dict[str, Any] | None:
    async with uow:
        return await OrganisationRepository(uow.session).get(organisation_id)


async def search_organisations(
    uow: UnitOfWork, words: str | None, after: tuple[str, str] | None, limit: int
) -> list[dict[str, Any]]:
    """Organisations are no personal data: anyone who may read them may browse them."""
    async with uow:
        return await OrganisationRepository(uow.session).search(words, after, limit)


async def organisation_candidacies(
    uow: UnitOfWork, organisation_id: UUID
) -> list[dict[str, Any]] | None:
    """The organisation's candidacies, newest first; None when there is no such organisation."""
    async with uow:
        repository = OrganisationRepository(uow.session)
        if await repository.get(organisation_id) is None:
            return None
        return await repository.candidacies_of(organisation_id)


async def submit_candidacy(
    uow: UnitOfWork, fields: dict[str, Any], by: Principal
) -> dict[str, Any]:
    if fields["kind"] == "custom_training" and not fields.get("theme"):
        raise InvalidInput({"theme": "Kies het gevraagde thema van de vorming."})
    now = datetime.now(UTC)
    async with uow:
        repository = OrganisationRepository(uow.session)
        organisation = await repository.get(fields["organisation_id"])
        if organisation is None:
            raise InvalidInput({"organisation_id": "Deze organisatie is niet geregistreerd."})
        eligibility = assess(
            candidacy_eligibility(),
            fields["kind"],
            organisation["organisation_type"],
            organisation["staff_size"],
            fields["participant_roles"],
        )
        candidacy = fields | {
            "id": uuid4(),
            "eligibility": eligibility.as_dict(),
            "submitted_at": now,
            "submitted_by": by.subject,
        }
        await repository.add_candidacy(candidacy)
        await uow.audit(by, "create", "candidacy", candidacy["id"])
        await uow.publish(
            CandidacySubmitted(
                candidacy_id=candidacy["id"],
                organisation_id=organisation["id"],
                kind=fields["kind"],
                call_id=fields.get("call_id"),
                staff_size=organisation["staff_size"],
                municipality_nis=organisation["municipality_nis"],
                participant_roles=fields["participant_roles"],
                motivation=fields["motivation"],
                theme=fields.get("theme"),
                submitted_at=now,
            ),
            key=candidacy["id"],
            sequence=1,
        )
        await uow.commit()
    return candidacy

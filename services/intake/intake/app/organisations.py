"""Use cases on organisations and their candidacies."""

from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.intake import CandidacySubmitted, OrganisationRegistered
from intake.adapters.repository import OrganisationRepository
from intake.app.persons import InvalidPerson
from intake.domain.candidacy import UnknownCall
from intake.reference import municipalities


class DuplicateOrganisation(Exception):
    def __init__(self, existing: UUID) -> None:
        super().__init__(str(existing))
        self.existing = existing


class InvalidInput(InvalidPerson):
    """Field errors on an organisation or candidacy (same shape as a person's)."""


class CallEligibility(Protocol):
    """Trajecten's decision on eligibility for a call: the one owner of that rule. Raises
    ``UnknownCall`` or ``EligibilityUnavailable`` (intake.domain.candidacy)."""

    async def decide(
        self,
        call_id: UUID,
        *,
        organisation_type: str,
        staff_size: int,
        participant_roles: list[str],
        token: str | None,
    ) -> dict[str, Any]: ...


# A custom training answers no call: trajecten plans it directly, so there is nothing to decide.
NO_CALL = {
    "decided_by": None,
    "call_id": None,
    "eligible": None,
    "reasons": [],
    "advice": ["Een vorming op maat beantwoordt geen oproep; trajecten plant ze rechtstreeks in."],
    "decided_on": None,
}


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
    uow: UnitOfWork,
    fields: dict[str, Any],
    by: Principal,
    calls: CallEligibility,
    token: str | None,
) -> dict[str, Any]:
    """Keeps trajecten's eligibility decision with the candidacy (intake decides nothing); a
    candidacy for an unknown call is refused naming ``call_id``."""
    if fields["kind"] == "custom_training" and not fields.get("theme"):
        raise InvalidInput({"theme": "Kies het gevraagde thema van de vorming."})
    if fields["kind"] == "learning_and_coaching" and fields.get("call_id") is None:
        raise InvalidInput({"call_id": "Kies de oproep waarop de organisatie antwoordt."})
    async with uow:
        organisation = await OrganisationRepository(uow.session).get(fields["organisation_id"])
    if organisation is None:
        raise InvalidInput({"organisation_id": "Deze organisatie is niet geregistreerd."})
    eligibility = NO_CALL
    if fields["kind"] == "learning_and_coaching":
        try:
            eligibility = await calls.decide(
                fields["call_id"],
                organisation_type=organisation["organisation_type"],
                staff_size=organisation["staff_size"],
                participant_roles=fields["participant_roles"],
                token=token,
            )
        except UnknownCall as exc:
            raise InvalidInput({"call_id": "Trajecten kent geen oproep met deze id."}) from exc
    now = datetime.now(UTC)
    async with uow:
        repository = OrganisationRepository(uow.session)
        candidacy = fields | {
            "id": uuid4(),
            "eligibility": eligibility,
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
                organisation_type=organisation["organisation_type"],
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

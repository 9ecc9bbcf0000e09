"""The data-subject access report (GDPR art. 15): intake's own section, and the report that
intake, the person's owner, assembles from the four services' sections."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select

from civic_common.api.data_subject import (
    PURPOSE,
    DataSubjectSection,
    HeldRecords,
    SectionAnswer,
    SectionSource,
    UnknownDataSubject,
    accesses_of,
    partner_reads,
    records,
    sections_of,
)
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from intake.adapters.tables import messaging, person_history, persons

SERVICE = "intake"
MERGED_TITLE = "Samengevoegde registraties van dezelfde persoon"


async def intake_section(uow: UnitOfWork, person_id: UUID, by: Principal) -> DataSubjectSection:
    """The person record (an erased person's tombstone included) and the records merged into it
    (samenvoegen: the same person, registered twice), their history of changes, every audited
    access to any of them and every partner that read one (`GET /partners/v1/persons/{id}`)."""
    async with uow:
        person = await records(uow.session, select(persons).where(persons.c.id == person_id))
        if not person:
            raise UnknownDataSubject(person_id)
        merged = await records(
            uow.session,
            select(persons).where(persons.c.merged_into == person_id).order_by(persons.c.id),
        )
        ids = [person_id, *(UUID(str(record["id"])) for record in merged)]
        history = await records(
            uow.session,
            select(person_history)
            .where(person_history.c.person_id.in_(ids))
            .order_by(person_history.c.id),
        )
        accesses = await accesses_of(uow.session, messaging.audit_log, ids)
        for each in ids:
            await uow.audit(by, "read", "person.data-subject", each, PURPOSE)
        await uow.commit()
    return DataSubjectSection(
        service=SERVICE,
        person_id=person_id,
        known=True,
        held=[
            HeldRecords(kind="persons", title="Persoonsgegevens en gezin", records=person),
            *(
                [HeldRecords(kind="merged_persons", title=MERGED_TITLE, records=merged)]
                if merged
                else []
            ),
            HeldRecords(
                kind="person_history", title="Geschiedenis van wijzigingen", records=history
            ),
        ],
        accesses=accesses,
        recipients=partner_reads(
            accesses, "person-resource", "persoonsgegevens volgens de rechtsgrond"
        ),
    )


@dataclass(frozen=True)
class DataSubjectReport:
    person_id: UUID
    generated_at: datetime
    generated_by: str
    sections: list[SectionAnswer]  # intake's first, then the others in the sources' order

    @property
    def complete(self) -> bool:
        return all(answer.section is not None for answer in self.sections)


async def data_subject_report(
    uow: UnitOfWork,
    person_id: UUID,
    by: Principal,
    token: str | None,
    sources: Sequence[SectionSource],
    form: str,
) -> DataSubjectReport:
    """Intake's section (404 for an unknown person, before anyone else is asked) and every
    other service's, read with the admin's own ``token``; a service that does not answer is
    named in the report with why. Producing the report is audited with its ``form`` (json,
    pdf)."""
    own = await intake_section(uow, person_id, by)
    others = await sections_of(sources, person_id, token)
    async with uow:
        missing = [a.service for a in others if a.section is None]
        note = f"{PURPOSE}, {form}" + (
            f", zonder antwoord van {', '.join(missing)}" if missing else ""
        )
        await uow.audit(by, "report", "person.data-subject-report", person_id, note)
        await uow.commit()
    return DataSubjectReport(
        person_id=person_id,
        generated_at=datetime.now(UTC),
        generated_by=by.subject,
        sections=[SectionAnswer(SERVICE, own), *others],
    )

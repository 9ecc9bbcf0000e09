"""Tolken's section of the data-subject access report (GDPR art. 15): the person's language
profile, the interpreting requests about them with their offers and assignments, every audited
access, and who received the person's data: the organisations that requested an interpreter
for them and the interpreters assigned."""

from uuid import UUID

from sqlalchemy import Text, cast, select

from civic_common.api.data_subject import (
    PURPOSE,
    DataSubjectSection,
    HeldRecords,
    Recipient,
    accesses_of,
    records,
)
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from tolken.adapters.tables import (
    assignments,
    interpreters,
    language_profiles,
    messaging,
    offers,
    requests,
)

SERVICE = "tolken"


async def tolken_section(uow: UnitOfWork, person_id: UUID, by: Principal) -> DataSubjectSection:
    """Empty (``known`` false) for a person tolken holds nothing of; never 404: intake owns
    the person."""
    async with uow:
        session = uow.session
        profile = await records(
            session, select(language_profiles).where(language_profiles.c.person_id == person_id)
        )
        asked = await records(
            session,
            select(requests)
            .where(requests.c.person_id == person_id)
            .order_by(requests.c.received_at),
        )
        ids = [UUID(r["id"]) for r in asked]
        offered = await records(
            session,
            select(offers).where(offers.c.request_id.in_(ids)).order_by(offers.c.offered_at),
        )
        assigned = await records(
            session,
            select(
                assignments.c.id,
                assignments.c.request_id,
                assignments.c.interpreter_id,
                interpreters.c.name.label("interpreter_name"),
                assignments.c.day,
                cast(assignments.c.busy, Text).label("busy"),
                assignments.c.by_desk,
                assignments.c.created_at,
                assignments.c.released_at,
            )
            .join(interpreters, interpreters.c.id == assignments.c.interpreter_id)
            .where(assignments.c.request_id.in_(ids))
            .order_by(assignments.c.created_at),
        )
        accesses = await accesses_of(session, messaging.audit_log, [person_id, *ids])
        await uow.audit(by, "read", "person.data-subject", person_id, PURPOSE)
        await uow.commit()
    by_partner = {a.subject_id for a in accesses if a.role == "partner" and a.action == "create"}
    recipients = [
        Recipient(
            organisation=r["organisation"],
            channel="interpreter-request",
            legal_basis=None,
            at=r["received_at"],
            what="tolkaanvraag voor deze persoon, ingediend door de partner"
            if r["id"] in by_partner
            else "tolkaanvraag voor deze persoon",
        )
        for r in asked
    ] + [
        Recipient(
            organisation=f"tolk {a['interpreter_name']}",
            channel="interpreter-assignment",
            legal_basis=None,
            at=a["created_at"],
            what=f"opdracht {a['request_id']} (taal, plaats en tijdstip)",
        )
        for a in assigned
    ]
    return DataSubjectSection(
        service=SERVICE,
        person_id=person_id,
        known=bool(profile or asked or accesses),
        held=[
            HeldRecords(kind="language_profiles", title="Taalprofiel", records=profile),
            HeldRecords(kind="requests", title="Tolkaanvragen", records=asked),
            HeldRecords(kind="offers", title="Aanbiedingen aan tolken", records=offered),
            HeldRecords(kind="assignments", title="Toewijzingen", records=assigned),
        ],
        accesses=accesses,
        recipients=sorted(recipients, key=lambda r: r.at),
    )

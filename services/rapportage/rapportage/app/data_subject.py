"""Rapportage's section of the data-subject access report (GDPR art. 15): the rows its read
models keep under the person's (pseudonymous) id. Rapportage gives partners aggregates only,
never a person's rows, so it names no recipients."""

from uuid import UUID

from sqlalchemy import select

from civic_common.api.data_subject import (
    PURPOSE,
    DataSubjectSection,
    HeldRecords,
    accesses_of,
    records,
)
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from rapportage.adapters.tables import components, intakes, messaging, trajectories

SERVICE = "rapportage"


async def rapportage_section(uow: UnitOfWork, person_id: UUID, by: Principal) -> DataSubjectSection:
    async with uow:
        session = uow.session
        intake = await records(session, select(intakes).where(intakes.c.person_id == person_id))
        own = await records(
            session, select(trajectories).where(trajectories.c.person_id == person_id)
        )
        ids = [UUID(t["trajectory_id"]) for t in own]
        parts = await records(
            session, select(components).where(components.c.trajectory_id.in_(ids))
        )
        accesses = await accesses_of(session, messaging.audit_log, [person_id, *ids])
        await uow.audit(by, "read", "person.data-subject", person_id, PURPOSE)
        await uow.commit()
    return DataSubjectSection(
        service=SERVICE,
        person_id=person_id,
        known=bool(intake or own or accesses),
        held=[
            HeldRecords(kind="intakes", title="Inschrijving (voor statistiek)", records=intake),
            HeldRecords(kind="trajectories", title="Trajecten (voor statistiek)", records=own),
            HeldRecords(kind="components", title="Onderdelen (voor statistiek)", records=parts),
        ],
        accesses=accesses,
        recipients=[],
    )

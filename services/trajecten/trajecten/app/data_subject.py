"""Trajecten's section of the data-subject access report (GDPR art. 15): the person's
trajectories with everything hanging off them, the events kept for partners, every audited
access, and every partner that received their data, by webhook or by reading the feed."""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Table, select

from civic_common.api.data_subject import (
    PURPOSE,
    DataSubjectSection,
    HeldRecords,
    Recipient,
    accesses_of,
    partner_reads,
    records,
)
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from trajecten.adapters.subscriptions import deliveries, partner_events, subscriptions
from trajecten.adapters.tables import (
    appointments,
    components,
    messaging,
    partner_updates,
    trajectories,
    transitions,
)

SERVICE = "trajecten"


async def trajecten_section(uow: UnitOfWork, person_id: UUID, by: Principal) -> DataSubjectSection:
    """Empty (``known`` false) for a person trajecten holds nothing of; never 404: intake owns
    the person."""
    async with uow:
        session = uow.session
        own = await records(
            session,
            select(trajectories)
            .where(trajectories.c.person_id == person_id)
            .order_by(trajectories.c.opened_at),
        )
        ids = [UUID(t["id"]) for t in own]

        def of_trajectories(table: Table, *order: ColumnElement[Any]) -> Select[Any]:
            return select(table).where(table.c.trajectory_id.in_(ids)).order_by(*order)

        parts = await records(
            session, of_trajectories(components, components.c.trajectory_id, components.c.position)
        )
        timeline = await records(session, of_trajectories(transitions, transitions.c.id))
        updates = await records(
            session, of_trajectories(partner_updates, partner_updates.c.received_at)
        )
        meetings = await records(session, of_trajectories(appointments, appointments.c.starts_at))
        kept = await records(
            session,
            select(
                partner_events.c.event_id,
                partner_events.c.event_type,
                partner_events.c.trajectory_id,
                partner_events.c.occurred_at,
                partner_events.c.data,
            )
            .where(partner_events.c.person_id == person_id, partner_events.c.test.is_(False))
            .order_by(partner_events.c.id),
        )
        delivered = (
            await session.execute(
                select(
                    subscriptions.c.organisation,
                    subscriptions.c.legal_basis,
                    partner_events.c.event_type,
                    deliveries.c.delivered_at,
                )
                .join(deliveries, deliveries.c.subscription_id == subscriptions.c.id)
                .join(partner_events, partner_events.c.id == deliveries.c.event_pk)
                .where(
                    partner_events.c.person_id == person_id,
                    partner_events.c.test.is_(False),
                    deliveries.c.status == "delivered",
                )
                .order_by(deliveries.c.delivered_at)
            )
        ).all()
        subjects = [person_id, *ids, *(UUID(m["id"]) for m in meetings)]
        accesses = await accesses_of(session, messaging.audit_log, subjects)
        await uow.audit(by, "read", "person.data-subject", person_id, PURPOSE)
        await uow.commit()
    webhooks = [
        Recipient(
            organisation=d.organisation,
            channel="webhook",
            legal_basis=d.legal_basis,
            at=d.delivered_at,
            what=f"gebeurtenis {d.event_type}",
        )
        for d in delivered
    ]
    feed = partner_reads(accesses, "feed", "gebeurtenissen uit de partnerfeed")
    held = [
        HeldRecords(kind="trajectories", title="Trajecten", records=own),
        HeldRecords(kind="components", title="Onderdelen van het traject", records=parts),
        HeldRecords(kind="transitions", title="Tijdlijn", records=timeline),
        HeldRecords(kind="partner_updates", title="Meldingen van partners", records=updates),
        HeldRecords(kind="appointments", title="Afspraken", records=meetings),
        HeldRecords(
            kind="partner_events", title="Gebeurtenissen bewaard voor partners", records=kept
        ),
    ]
    return DataSubjectSection(
        service=SERVICE,
        person_id=person_id,
        known=bool(own or kept or accesses),
        held=held,
        accesses=accesses,
        recipients=sorted([*webhooks, *feed], key=lambda r: r.at),
    )

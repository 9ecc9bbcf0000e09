"""Appointments in a person's trajectory; tolken books an interpreter from the event."""

from datetime import datetime
from uuid import UUID

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.trajecten import AppointmentScheduled
from trajecten.adapters.repository import TrajectoryRepository
from trajecten.app.trajectories import TrajectoryNotFound
from trajecten.domain.visibility import agency_code


async def schedule(
    uow: UnitOfWork,
    trajectory_id: UUID,
    appointment_id: UUID,
    *,
    starts_at: datetime,
    ends_at: datetime,
    municipality_nis: str,
    location: str | None,
    subject_category: str,
    by: Principal,
) -> None:
    async with uow:
        repository = TrajectoryRepository(uow.session, by)  # refuses a token naming no agency
        organisation = agency_code(by.organisation)
        trajectory = await repository.get(trajectory_id, lock=True)
        if trajectory is None:
            raise TrajectoryNotFound(trajectory_id)
        if trajectory.closed:
            raise Problem(409, "Traject afgesloten", f"Het traject is {trajectory.status}.")
        await repository.add_appointment(
            id=appointment_id,
            trajectory_id=trajectory_id,
            starts_at=starts_at,
            ends_at=ends_at,
            location=location,
            subject_category=subject_category,
            organisation=organisation,
            scheduled_by=by.subject,
        )
        await uow.publish(
            AppointmentScheduled(
                appointment_id=appointment_id,
                trajectory_id=trajectory_id,
                person_id=trajectory.person_id,
                starts_at=starts_at,
                ends_at=ends_at,
                municipality_nis=municipality_nis,
                location=location,
                organisation=organisation,
                subject_category=subject_category,
            ),
            key=trajectory_id,
            sequence=trajectory.version,
        )
        await uow.audit(by, "create", "trajectory.appointment", appointment_id)
        await uow.commit()

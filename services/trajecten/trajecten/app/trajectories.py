"""Use cases on person trajectories."""

from uuid import UUID

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import PersonRegistered, TrajectoryOpened
from civic_common.events.envelope import Envelope
from trajecten.adapters.repository import TrajectoryRepository
from trajecten.domain.trajectory import INBURGERING, Trajectory, opens_trajectory

TEMPLATE_VERSION = "2024.1"


async def on_person_registered(uow: UnitOfWork, event: PersonRegistered, _: Envelope) -> None:
    """Runs inside the consumer's transaction (inbox, change and outbox commit together)."""
    if not opens_trajectory(event.target_group):
        return
    trajectory = Trajectory(
        person_id=event.person_id,
        kind=INBURGERING,
        template_version=TEMPLATE_VERSION,
        municipality_nis=event.municipality_nis,
        opened_at=event.registered_at,
    )
    await TrajectoryRepository(uow.session).add(trajectory)
    await uow.publish(
        TrajectoryOpened(
            trajectory_id=trajectory.id,
            person_id=trajectory.person_id,
            kind=trajectory.kind,
            template_version=trajectory.template_version,
            opened_at=trajectory.opened_at,
            municipality_nis=trajectory.municipality_nis,
        ),
        key=trajectory.id,
        sequence=trajectory.version,
    )


async def trajectories_of(uow: UnitOfWork, person_id: UUID, by: Principal) -> list[Trajectory]:
    async with uow:
        found = await TrajectoryRepository(uow.session).for_person(person_id)
        await uow.audit(by, "read", "person.trajectories", person_id)
        await uow.commit()
    return found

"""Updates posted by partners (NT2 providers, VDAB), applied through the state machine.

The update, the partner's record of it and the events it causes commit together; a refusal
leaves nothing behind.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from trajecten.adapters.repository import TrajectoryRepository
from trajecten.app.trajectories import Command, apply_in
from trajecten.domain.templates import Template
from trajecten.domain.trajectory import Refused, Trajectory


def partner_actor(by: Principal) -> str:
    return f"partner:{by.organisation}"


async def apply_partner_update(
    uow: UnitOfWork,
    trajectory_id: UUID,
    kind: str,
    payload: dict[str, Any],
    command: Command,
    by: Principal,
) -> Trajectory:
    organisation = by.organisation or ""

    def guarded(trajectory: Trajectory, template: Template) -> None:
        if trajectory.closed:
            raise Refused(f"het traject is afgesloten (status {trajectory.status})")
        command(trajectory, template)

    async with uow:
        trajectory = await apply_in(uow, trajectory_id, guarded, by)
        await TrajectoryRepository(uow.session, by).record_partner_update(
            trajectory_id, organisation, kind, payload, datetime.now(UTC)
        )
        await uow.commit()
    return trajectory

"""Trajectories in the trajecten schema."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trajecten.adapters.tables import trajectories
from trajecten.domain.trajectory import Trajectory


class TrajectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, trajectory: Trajectory) -> None:
        await self._session.execute(trajectories.insert().values(**vars(trajectory)))

    async def for_person(self, person_id: UUID) -> list[Trajectory]:
        rows = await self._session.execute(
            select(trajectories)
            .where(trajectories.c.person_id == person_id)
            .order_by(trajectories.c.opened_at)
        )
        return [Trajectory(**row) for row in rows.mappings()]

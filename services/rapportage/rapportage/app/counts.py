"""Projecting events into monthly counts, and reading them."""

from datetime import date

from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import PersonRegistered, TrajectoryOpened
from civic_common.events.envelope import Envelope
from rapportage.adapters.repository import MonthlyCountRepository
from rapportage.domain.monthly_counts import Metric, MonthlyCount, month_of


async def on_person_registered(uow: UnitOfWork, event: PersonRegistered, _: Envelope) -> None:
    await MonthlyCountRepository(uow.session).increment(
        month_of(event.registered_at), event.municipality_nis, Metric.INTAKES
    )


async def on_trajectory_opened(uow: UnitOfWork, event: TrajectoryOpened, _: Envelope) -> None:
    await MonthlyCountRepository(uow.session).increment(
        month_of(event.opened_at), event.municipality_nis, Metric.TRAJECTORIES_OPENED
    )


async def monthly_counts(
    uow: UnitOfWork, first: date, last: date, municipality_nis: str | None
) -> list[MonthlyCount]:
    async with uow:
        return await MonthlyCountRepository(uow.session).between(first, last, municipality_nis)

"""Reading the monthly counts."""

from datetime import date

from civic_common.db.uow import UnitOfWork
from rapportage.adapters.repository import MonthlyCountRepository
from rapportage.domain.monthly_counts import MonthlyCount


async def monthly_counts(
    uow: UnitOfWork, first: date, last: date, municipality_nis: str | None
) -> list[MonthlyCount]:
    async with uow:
        return await MonthlyCountRepository(uow.session).between(first, last, municipality_nis)

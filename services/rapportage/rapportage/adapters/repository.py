"""Monthly counts in the rapportage schema."""

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rapportage.adapters.tables import monthly_counts as mc
from rapportage.domain.monthly_counts import Metric, MonthlyCount


class MonthlyCountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def between(
        self, first: date, last: date, municipality_nis: str | None
    ) -> list[MonthlyCount]:
        query = select(mc).where(mc.c.month.between(first, last))
        if municipality_nis:
            query = query.where(mc.c.municipality_nis == municipality_nis)
        grouped: dict[tuple[date, str], dict[Metric, int]] = defaultdict(dict)
        for row in (await self._session.execute(query)).mappings():
            grouped[(row["month"], row["municipality_nis"])][Metric(row["metric"])] = row["count"]
        return [
            MonthlyCount(month, nis, counts) for (month, nis), counts in sorted(grouped.items())
        ]

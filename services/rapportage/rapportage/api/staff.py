"""Staff API for analysts: /api/v1/reports."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from rapportage.app.counts import monthly_counts
from rapportage.domain.monthly_counts import Metric

router = APIRouter(prefix="/api/v1", tags=["reports"])

Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class MonthlyCountOut(BaseModel):
    month: str
    municipality_nis: str
    intakes: int
    trajectories_opened: int


def _first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


@router.get("/reports/monthly-counts")
async def get_monthly_counts(
    _: Annotated[Principal, Depends(require_roles("analyst", "admin"))],
    work: Annotated[UnitOfWork, Depends(uow)],
    from_month: Month,
    to_month: Month,
    municipality_nis: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> list[MonthlyCountOut]:
    first, last = _first_day(from_month), _first_day(to_month)
    if last < first:
        raise Problem(
            422,
            "Ongeldige invoer",
            "to_month ligt voor from_month.",
            errors=[{"field": "to_month", "message": "ligt voor from_month"}],
        )
    return [
        MonthlyCountOut(
            month=row.month.strftime("%Y-%m"),
            municipality_nis=row.municipality_nis,
            intakes=row.counts.get(Metric.INTAKES, 0),
            trajectories_opened=row.counts.get(Metric.TRAJECTORIES_OPENED, 0),
        )
        for row in await monthly_counts(work, first, last, municipality_nis)
    ]

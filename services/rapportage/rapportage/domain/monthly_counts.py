"""Counting newcomer indicators per calendar month and municipality. Pure: no I/O."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


class Metric(StrEnum):
    INTAKES = "intakes"
    TRAJECTORIES_OPENED = "trajectories_opened"


def month_of(moment: datetime) -> date:
    """The calendar month in Belgian time: an intake at 00:30 on 1 March counts for March."""
    local = moment.astimezone(BRUSSELS)
    return date(local.year, local.month, 1)


@dataclass(frozen=True)
class MonthlyCount:
    month: date
    municipality_nis: str
    counts: dict[Metric, int]

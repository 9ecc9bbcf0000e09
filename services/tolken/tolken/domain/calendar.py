"""Belgian working days, for the billable-cancellation rule."""

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _belgian_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("BE", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _belgian_holidays(day.year)


def working_days_between(after: date, before: date) -> int:
    """Working days strictly after ``after`` and strictly before ``before``."""
    count, day = 0, after + timedelta(days=1)
    while day < before:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def cancellation_is_billable(cancelled_on: date, starts_on: date, free_days: int) -> bool:
    """Billable when fewer than ``free_days`` full working days remain before the start day."""
    return working_days_between(cancelled_on, starts_on) < free_days

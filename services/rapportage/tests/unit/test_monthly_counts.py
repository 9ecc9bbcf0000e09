from datetime import UTC, date, datetime

import pytest

from rapportage.domain.monthly_counts import month_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        (datetime(2026, 2, 28, 23, 30, tzinfo=UTC), date(2026, 3, 1)),  # 00:30 in Brussels
        (datetime(2026, 7, 31, 21, 59, tzinfo=UTC), date(2026, 7, 1)),  # 23:59 summer time
        (datetime(2026, 7, 31, 22, 0, tzinfo=UTC), date(2026, 8, 1)),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_months_are_counted_in_belgian_time(moment, month):
    assert month_of(moment) == month

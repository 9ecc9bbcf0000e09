"""The pure parts of "Mijn dossiers": the due window and the sort keys a cursor keeps."""

from datetime import UTC, date, datetime

import pytest

from trajecten.domain.caseload import NO_DEADLINE, due_window, parse_key, sort_key


def test_due_soon_is_the_next_fourteen_calendar_days():
    assert due_window(date(2026, 12, 28)) == (date(2026, 12, 28), date(2027, 1, 11))


@pytest.mark.parametrize(
    ("sort", "deadline", "expected"),
    [
        ("deadline", date(2027, 1, 5), "2027-01-05"),
        ("deadline", None, NO_DEADLINE.isoformat()),  # nothing due sorts last
        ("opened", None, "2026-03-01T09:30:00+00:00"),
        ("status", None, "suspended"),
    ],
)
def test_a_sort_key_reads_back_as_the_value_compared(sort, deadline, expected):
    opened = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    key = sort_key(sort, deadline, opened, "suspended")
    assert key == expected
    back = parse_key(sort, key)
    assert (
        back == {"deadline": deadline or NO_DEADLINE, "opened": opened, "status": "suspended"}[sort]
    )


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("deadline", "morgen"),
        ("opened", "2026-03-01T09:30:00"),  # no time zone: not one of ours
        ("status", "weg"),
    ],
)
def test_a_key_that_is_not_ours_is_refused(sort, key):
    with pytest.raises(ValueError):
        parse_key(sort, key)

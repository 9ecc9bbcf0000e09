"""A subscription's stored filters become the domain's Filters; a filter not stored filters
nothing (one row without them must not stop the fan-out for every partner)."""

import pytest

from trajecten.domain.subscriptions import Filters

pytestmark = pytest.mark.unit


def test_stored_filters_are_read_and_missing_ones_filter_nothing() -> None:
    stored = Filters.of({"municipalities": ["44021"], "kinds": ["inburgering"]})
    assert stored == Filters(("44021",), ("inburgering",))
    assert not stored.admits("44020", "inburgering")
    assert Filters.of({}) == Filters()
    assert Filters.of({}).admits("44020", "anything")

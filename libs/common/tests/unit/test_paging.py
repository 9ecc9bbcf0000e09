"""Cursors: what a list hands out comes back as the same position; anything else is a 422
naming ``cursor``."""

from uuid import UUID, uuid4

import pytest

from civic_common.api.paging import cursor_after, encode_cursor
from civic_common.api.problems import Problem

pytestmark = pytest.mark.unit


def test_a_cursor_comes_back_as_its_position() -> None:
    last = uuid4()
    assert cursor_after(encode_cursor({"after": last}), UUID) == last
    assert cursor_after(encode_cursor({"after": 41}), int) == 41
    assert cursor_after(None, UUID) is None and cursor_after("", int) is None


@pytest.mark.parametrize(
    "cursor",
    ["not-base64!", encode_cursor({"before": 1}), encode_cursor({"after": "x"}), "WzFd"],
)
def test_a_foreign_cursor_is_a_422_naming_the_field(cursor: str) -> None:
    with pytest.raises(Problem) as refused:
        cursor_after(cursor, int)
    assert refused.value.status == 422
    assert refused.value.extra["errors"] == [{"field": "cursor", "message": "onbekende cursor"}]

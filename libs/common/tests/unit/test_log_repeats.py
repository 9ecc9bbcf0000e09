"""While the broker is away aiokafka repeats the same line every 100 ms; the logs keep one of a
kind per interval and say how many were held back. Our own loggers are never held back."""

import logging

import pytest

from civic_common.logging import HELD_REPEATS, RepeatFilter

pytestmark = pytest.mark.unit


def _record(name: str, msg: str = "Unable connect to node with id %s: %s") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, (1, "refused"), None)


def test_one_line_of_a_kind_per_interval_then_the_count_held_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr("civic_common.logging.time.monotonic", lambda: clock[0])
    repeats = RepeatFilter(interval=30.0)

    assert repeats.filter(_record("aiokafka"))
    shown = [repeats.filter(_record("aiokafka")) for _ in range(299)]
    assert not any(shown)
    # Another kind (logger or template) is its own.
    assert repeats.filter(_record("aiokafka.consumer.fetcher"))
    assert repeats.filter(_record("aiokafka", "Unable to update metadata from %s"))

    clock[0] += 30.0
    again = _record("aiokafka")
    assert repeats.filter(again)
    assert again.repeated == 299


def test_our_own_loggers_are_never_held_back() -> None:
    repeats = RepeatFilter(interval=30.0)
    assert all(repeats.filter(_record("civic_common.outbox")) for _ in range(10))


def test_our_lines_flagged_as_repeating_are_held_back() -> None:
    """A polling loop's "database unavailable" (``extra=HELD_REPEATS``) is one of a kind too."""
    repeats = RepeatFilter(interval=30.0)

    def flagged() -> logging.LogRecord:
        record = _record("civic_common.some_loop", "round failed (%s)")
        record.__dict__.update(HELD_REPEATS)
        return record

    assert repeats.filter(flagged())
    assert not any(repeats.filter(flagged()) for _ in range(10))
    assert repeats.filter(_record("civic_common.some_loop", "round failed (%s)")), "unflagged"

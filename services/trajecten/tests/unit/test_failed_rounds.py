"""A polling loop's failed round (delivery, alerts): the database away is one warning line
without a traceback, marked for the log's RepeatFilter; anything else keeps its traceback."""

import logging

import pytest
from sqlalchemy.exc import OperationalError

from trajecten.app.delivery import log_failed_round

pytestmark = pytest.mark.unit


def test_the_database_away_is_one_warning_without_a_traceback(caplog) -> None:
    log = logging.getLogger("trajecten.app.delivery")
    refused = OperationalError("SELECT 1", {}, ConnectionRefusedError("Connect call failed"))
    with caplog.at_level(logging.INFO):
        log_failed_round(log, "delivery", refused)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert record.held is True
    assert record.getMessage() == (
        "delivery round failed: database or connection unavailable (OperationalError); retrying"
    )
    assert "SELECT" not in record.getMessage(), "the type only, not the statement or its data"


def test_an_unexpected_error_keeps_its_traceback(caplog) -> None:
    log = logging.getLogger("trajecten.app.alerts")
    try:
        raise KeyError("endpoint")
    except KeyError as exc:
        with caplog.at_level(logging.INFO):
            log_failed_round(log, "notification", exc)
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    assert not getattr(record, "held", False)

"""Legal and operational parameters come from configuration, with the agency's defaults."""

import pytest

from tolken.settings import TolkenSettings

pytestmark = pytest.mark.unit


def test_defaults_are_current_practice():
    policy = TolkenSettings().policy()
    assert "verblijfsrecht" in policy.certified_subjects
    assert policy.free_cancellation_working_days == 2
    assert policy.certified_subjects <= policy.subjects


def test_an_operator_changes_them_through_the_environment(monkeypatch):
    monkeypatch.setenv("CIVIC_TOLKEN_CERTIFIED_SUBJECTS", '["verblijfsrecht", "jeugdrecht"]')
    monkeypatch.setenv("CIVIC_TOLKEN_FREE_CANCELLATION_WORKING_DAYS", "3")
    monkeypatch.setenv("CIVIC_TOLKEN_TRAVEL_BUFFER_MINUTES", "30")
    policy = TolkenSettings().policy()
    assert policy.certified_subjects == {"verblijfsrecht", "jeugdrecht"}
    assert "jeugdrecht" in policy.subjects, "a certified subject is always an allowed subject"
    assert (policy.free_cancellation_working_days, policy.travel_buffer_minutes) == (3, 30)

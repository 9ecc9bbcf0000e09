"""The last timeline entry's words can be corrected; the step itself stands."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from trajecten.domain.templates import shipped
from trajecten.domain.trajectory import (
    CORRECT_REASON,
    FINAL_ACTIONS,
    Change,
    Refused,
    Trajectory,
    TrajectoryStatus,
)

pytestmark = pytest.mark.unit

TEMPLATE = shipped().get("inburgeringstraject", "2024.1")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opened() -> Trajectory:
    return Trajectory.open(
        TEMPLATE,
        person_id=uuid4(),
        municipality_nis="44021",
        opened_at=AT,
        target_group="obligated",
        actor="intake",
        agency="agii",
    )


def test_the_final_steps_are_those_leading_nowhere_and_a_published_fail():
    assert FINAL_ACTIONS == {"complete", "stop", "exempt", "fail"}


def test_the_last_entrys_reason_is_corrected_by_an_entry_of_its_own():
    t = opened()
    t.suspend("ziekenhuisopnam", "els", AT)
    last = t.changes[-1]
    t.correct_reason(last, "ziekenhuisopname", "els", AT)
    correction = t.changes[-1]
    assert correction.action == CORRECT_REASON
    assert correction.reason == "ziekenhuisopname"
    assert correction.details == {"corrects": last.sequence, "action": "suspend"}
    assert last.reason == "ziekenhuisopnam", "the original words stay on record"
    assert t.status is TrajectoryStatus.SUSPENDED, "the step itself stands"
    assert t.version == last.sequence + 1

    # A correction of the correction still names the original step.
    t.correct_reason(correction, "opname in het ziekenhuis", "els", AT)
    assert t.changes[-1].details == {"corrects": last.sequence, "action": "suspend"}


def test_a_component_step_keeps_its_component_and_status():
    t = opened()
    t.exempt("guidance", "diploma", "els", AT)
    t.correct_reason(t.changes[-1], "diploma secundair onderwijs", "els", AT)
    assert t.changes[-1].component == "guidance"
    assert t.changes[-1].to_status == "exempted"


def test_only_the_last_entry_and_only_one_with_words():
    t = opened()
    t.suspend("ziek", "els", AT)
    earlier = t.changes[-1]
    t.resume("beter", "els", AT)
    with pytest.raises(Refused, match="alleen de laatste stap"):
        t.correct_reason(earlier, "ziekte", "els", AT)
    t.start(TEMPLATE, "guidance", "els", AT)
    with pytest.raises(Refused, match="geen reden"):
        t.correct_reason(t.changes[-1], "iets", "els", AT)
    assert t.changes[-1].action == "start", "the refusals recorded nothing"


def test_an_empty_or_unchanged_reason_is_refused():
    t = opened()
    t.stop("verhuisd naar Brussel", "els", AT)
    last = t.changes[-1]
    with pytest.raises(Refused, match="verplicht"):
        t.correct_reason(last, "  ", "els", AT)
    with pytest.raises(Refused, match="dezelfde"):
        t.correct_reason(last, "verhuisd naar Brussel", "els", AT)
    assert t.changes[-1] is last


def test_a_change_read_back_from_the_timeline_can_be_corrected():
    # The repository hands the last entry back as a Change: a fail with its words.
    t = opened()
    t.start(TEMPLATE, "mo_course", "els", AT)
    t.fail("mo_course", "els", AT, "afwezig op het examen")
    read_back = Change(**vars(t.changes[-1]))
    t.changes.clear()
    t.correct_reason(read_back, "ziek op de dag van het examen", "els", AT)
    assert t.changes[-1].details["action"] == "fail"

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from trajecten.domain.calendar import add_working_days
from trajecten.domain.templates import shipped
from trajecten.domain.trajectory import (
    ComponentStatus,
    IllegalTransition,
    NotYours,
    Refused,
    Trajectory,
    TrajectoryStatus,
)

pytestmark = pytest.mark.unit

TEMPLATE = shipped().get("inburgeringstraject", "2024.1")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opened(target_group="obligated", job_seeker=False) -> Trajectory:
    return Trajectory.open(
        TEMPLATE,
        person_id=uuid4(),
        municipality_nis="44021",
        opened_at=AT,
        target_group=target_group,
        actor="intake",
        agency="agii",
        job_seeker=job_seeker,
    )


def finish_all_but_nt2_test(t: Trajectory) -> None:
    t.start(TEMPLATE, "guidance", "els", AT)
    t.complete(TEMPLATE, "guidance", "els", AT)
    t.record_hours(TEMPLATE, "mo_course", Decimal(60), "cvo", AT)
    t.record_test(TEMPLATE, "mo_test", True, None, "cvo", AT)
    t.record_hours(TEMPLATE, "nt2_course", Decimal(240), "cvo", AT)
    t.exempt("participation", "werkt al als vrijwilliger", "els", AT)


def test_opening_plans_every_component_with_deadlines_in_working_days():
    t = opened()
    assert {c.status for c in t.components} == {ComponentStatus.PLANNED}
    assert t.component("mo_course").deadline == add_working_days(date(2026, 3, 2), 260)
    assert not t.component("vdab_referral").required
    assert opened(job_seeker=True).component("vdab_referral").required


def test_an_illegal_transition_lists_the_allowed_ones():
    t = opened()
    with pytest.raises(IllegalTransition) as raised:
        t.fail("guidance", "els", AT)
    assert raised.value.allowed == ["start", "exempt"]
    assert t.version == 1 and len(t.changes) == 1, "nothing recorded"


def test_order_is_enforced_and_parallel_components_can_start():
    t = opened()
    with pytest.raises(Refused, match="na mo_course"):
        t.start(TEMPLATE, "mo_test", "els", AT)
    t.start(TEMPLATE, "mo_course", "els", AT)
    t.start(TEMPLATE, "nt2_course", "els", AT)
    assert t.component("nt2_course").status is ComponentStatus.STARTED


def test_allowed_actions_respect_the_order_of_components():
    """A component waiting for another does not offer start (the seeds' order: the MO test after
    the MO course); once the course is done, it does. Without the template, the status alone."""
    t = opened()
    assert "start" not in t.allowed_actions("mo_test", TEMPLATE)
    assert "start" in t.allowed_actions("mo_test")
    assert "start" in t.allowed_actions("mo_course", TEMPLATE)
    t.start(TEMPLATE, "mo_course", "els", AT)
    t.record_hours(TEMPLATE, "mo_course", Decimal(60), "els", AT)
    assert t.component("mo_course").done
    assert "start" in t.allowed_actions("mo_test", TEMPLATE)


def test_hours_complete_a_component_when_the_target_is_reached():
    t = opened()
    t.record_hours(TEMPLATE, "mo_course", Decimal(35), "cvo", AT)
    assert t.component("mo_course").status is ComponentStatus.STARTED
    t.record_hours(TEMPLATE, "mo_course", Decimal(25), "cvo", AT)
    assert t.component("mo_course").status is ComponentStatus.COMPLETED
    assert [c.action for c in t.changes] == ["open", "start", "hours", "hours", "complete"]
    assert [c.sequence for c in t.changes] == [1, 2, 3, 4, 5]


def test_negative_hours_are_refused():
    with pytest.raises(Refused, match="negatief"):
        opened().record_hours(TEMPLATE, "mo_course", Decimal(-1), "cvo", AT)


def test_a_test_below_the_target_level_fails_and_can_be_retaken():
    t = opened()
    t.record_hours(TEMPLATE, "nt2_course", Decimal(240), "cvo", AT)
    t.record_test(TEMPLATE, "nt2_test", True, "A1", "cvo", AT)
    assert t.component("nt2_test").status is ComponentStatus.FAILED
    t.record_test(TEMPLATE, "nt2_test", True, "B1", "cvo", AT)
    assert t.component("nt2_test").status is ComponentStatus.COMPLETED


def test_all_required_components_done_makes_the_trajectory_ready_for_its_attest():
    t = opened()
    finish_all_but_nt2_test(t)
    assert not t.ready_for_attest()
    t.record_test(TEMPLATE, "nt2_test", True, "A2", "cvo", AT)
    assert t.ready_for_attest(), "the VDAB referral is not required for a non job seeker"
    t.issue_attest("INB-2026-000001", "system", AT)
    assert (t.status, t.attest_number) == (TrajectoryStatus.COMPLETED, "INB-2026-000001")
    with pytest.raises(IllegalTransition):
        t.start(TEMPLATE, "vdab_referral", "els", AT)


def test_a_suspended_trajectory_refuses_progress_and_resuming_moves_deadlines():
    t = opened()
    before = t.component("mo_course").deadline
    t.suspend("ziekte", "els", AT)
    with pytest.raises(IllegalTransition) as raised:
        t.start(TEMPLATE, "mo_course", "els", AT)
    assert raised.value.allowed == ["resume", "stop"]
    t.resume("hersteld", "els", datetime(2026, 3, 9, tzinfo=UTC))  # five working days later
    assert t.component("mo_course").deadline == add_working_days(before, 5)


def test_suspending_needs_a_reason():
    with pytest.raises(Refused, match="reden"):
        opened().suspend("  ", "els", AT)


def test_missed_deadlines_concern_obligated_persons_only_and_once():
    t = opened()
    late = add_working_days(t.component("vdab_referral").deadline, 500)
    missed = {c.code for c in t.missed_deadlines(late)}
    assert "mo_course" in missed and "vdab_referral" not in missed  # not required
    for component in t.components:
        component.referred_deadline = component.deadline
    assert t.missed_deadlines(late) == []
    assert opened(target_group="entitled").missed_deadlines(late) == []


def test_another_partner_cannot_take_over_a_component():
    t = opened()
    t.claim("nt2_course", "cvo-gent")
    t.claim("nt2_course", "cvo-gent")
    with pytest.raises(NotYours):
        t.claim("nt2_course", "cvo-antwerpen")


def test_referring_a_missed_deadline_records_it_once():
    t = opened()
    late = add_working_days(t.component("mo_course").deadline, 1)
    first = t.refer_missed_deadlines(late, AT)
    assert "mo_course" in {c.code for c in first}
    assert t.changes[-1].action == "deadline_missed"
    assert t.refer_missed_deadlines(late, AT) == []
